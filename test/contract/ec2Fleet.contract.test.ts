import { Ec2Fleet } from '../../lib/adapters/aws/ec2Fleet.js';
import { jsonLog } from '../../lib/adapters/local/index.js';
import type { Fleet } from '../../lib/ports/index.js';
import { FakeEc2 } from '../support/fakeEc2.js';
import { fleetContract } from './fleetContract.js';

fleetContract('EC2 (SDK mock with EC2 semantics)', async () => {
  const ec2 = new FakeEc2();
  const fleet = new Ec2Fleet(ec2.client, { deployment: 'zk-autoscaler-ci', cluster: 'orders', log: jsonLog(() => undefined) });
  // Launches answer "pending"; EC2 boots them before anyone lists.
  const booting: Fleet = Object.assign(Object.create(fleet) as Ec2Fleet, { list: async () => (ec2.boot(), fleet.list()) });
  return booting;
});
