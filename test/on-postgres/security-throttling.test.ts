import { runSuitesOn } from '../helpers/app.js';

// test/security/throttling.test.ts once more, every app on a fresh PostgreSQL database (its own file: one process).
await runSuitesOn('postgres', () => import('../security/throttling.test.js'));
