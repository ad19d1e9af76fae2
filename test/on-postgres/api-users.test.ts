import { runSuitesOn } from '../helpers/app.js';

// test/api/users.test.ts once more, every app on a fresh PostgreSQL database (its own file: one process).
await runSuitesOn('postgres', () => import('../api/users.test.js'));
