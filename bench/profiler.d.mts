export type ProfileCommand = { type: 'profile-start' } | { type: 'profile-stop'; file: string };

/** Handles a profiler command; false when `message` is not one. */
export function handleProfileCommand(message: { type: string; file?: string }): Promise<boolean>;
