import { runSuitesOn } from '../helpers/app.js';

// test/api/two-factor.test.ts once more, every app on a fresh PostgreSQL database (its own file: one process).
await runSuitesOn('postgres', () => import('../api/two-factor.test.js'));
