// The simulator's model fleet stands in for an ensemble in unit and property tests of the core and
// the controller: the same model the fleet simulator steps.
export { ModelFleet as ModelEnsemble, type ModelServer } from '../../lib/sim/modelFleet.js';
