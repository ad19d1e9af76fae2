import { runSuitesOn } from '../helpers/app.js';

// test/boot/account-pages.test.ts once more, every app on a fresh PostgreSQL database (its own file: one process).
await runSuitesOn('postgres', () => import('../boot/account-pages.test.js'));
