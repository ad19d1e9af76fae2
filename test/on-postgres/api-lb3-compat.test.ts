import { runSuitesOn } from '../helpers/app.js';

// test/api/lb3-compat.test.ts once more, every app on a fresh PostgreSQL database (its own file: one process).
await runSuitesOn('postgres', () => import('../api/lb3-compat.test.js'));
