import { afterAll } from 'vitest';
import { stopAllEnsembles } from './ensemble.js';

// Whatever a test file started is stopped when the file ends, even if a test failed or timed out.
afterAll(stopAllEnsembles);
