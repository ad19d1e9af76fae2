import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's folder: the nearest one above this module that holds package.json. Found rather
 * than written as `../..`, because the same code runs from server/ (tsx: `npm run dev`, the tests)
 * and from the one-file build dist/server.js (`npm start`, scripts/build.mjs), where every module
 * shares the bundle's URL and so sits at another depth.
 */
function findProjectRoot(): string {
  let folder = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(folder, 'package.json'))) {
    const parent = path.dirname(folder);
    if (parent === folder) throw new Error('koa-user-management: no package.json above the server code');
    folder = parent;
  }
  return folder;
}

const projectRoot = findProjectRoot();

/** A path inside the project (views/, public/, vendor/, the hashing thread's script). */
export function projectPath(...parts: string[]): string {
  return path.join(projectRoot, ...parts);
}
