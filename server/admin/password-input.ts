/**
 * Reads `users create`'s password: piped on standard input (one line, for scripts), or typed at a
 * prompt that does not echo (asked twice, so a typo does not lock the account out). Never argv.
 */

type Input = NodeJS.ReadStream;

async function readAll(input: Input): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** One line typed without echo; Ctrl-C or Ctrl-D gives up. */
function promptHidden(input: Input, output: NodeJS.WritableStream, question: string): Promise<string> {
  output.write(question);
  return new Promise((resolve, reject) => {
    let typed = '';
    input.setRawMode(true);
    input.resume();
    const finish = (error: Error | null) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      output.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish(null);
        if (char === '\u0003' || char === '\u0004') return finish(new Error('cancelled'));
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += char;
      }
    };
    input.on('data', onData);
  });
}

/** The password, or an Error whose message is the CLI's one line. */
export async function readPassword(input: Input, output: NodeJS.WritableStream): Promise<string> {
  if (input.isTTY) {
    const first = await promptHidden(input, output, 'Password: ');
    const again = await promptHidden(input, output, 'Password again: ');
    if (first !== again) throw new Error('the two passwords differ');
    if (first === '') throw new Error('no password given');
    return first;
  }
  // Only the line ending goes: spaces are part of a password.
  const text = (await readAll(input)).replace(/\r?\n$/, '');
  if (text === '') throw new Error('no password on standard input (pipe one, or use --invite)');
  if (text.includes('\n'))
    throw new Error('standard input holds more than one line; pipe the password alone');
  return text;
}
