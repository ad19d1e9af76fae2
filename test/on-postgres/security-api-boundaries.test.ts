import { runSuitesOn } from '../helpers/app.js';

// test/security/api-boundaries.test.ts once more, every app on a fresh PostgreSQL database (its own file: one process).
await runSuitesOn('postgres', () => import('../security/api-boundaries.test.js'));
