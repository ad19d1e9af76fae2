import { runSuitesOn } from '../helpers/app.js';

// test/api/account-centre.test.ts once more, every app on a fresh PostgreSQL database (its own file: one process).
await runSuitesOn('postgres', () => import('../api/account-centre.test.js'));
