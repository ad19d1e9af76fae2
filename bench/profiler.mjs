// An on-demand CPU profiler of this process's main thread, driven over the IPC channel
// (`profile-start`, then `profile-stop` with a file): only a profiled phase pays for the inspector.
// Plain JavaScript: the server process (loop-monitor.mjs) runs without the TypeScript loader, as
// `npm start` does. Its types are in profiler.d.mts.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

/** Microseconds between samples: fine enough to split a ~100 µs request into its parts. */
const PROFILE_INTERVAL_US = 100;

let session = null;

/** Handles a profiler command; false when `message` is not one. */
export async function handleProfileCommand(message) {
  if (message.type === 'profile-start') {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: PROFILE_INTERVAL_US });
    await session.post('Profiler.start');
    process.send?.({ type: 'profile-started' });
    return true;
  }
  if (message.type === 'profile-stop' && session && message.file) {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    session = null;
    await writeFile(message.file, JSON.stringify(profile));
    process.send?.({ type: 'profile-written' });
    return true;
  }
  return false;
}
