import { CloudWatchLoadSource, EmfMetricsSink } from '../../lib/adapters/aws/index.js';
import { jsonLog, MemoryMetrics } from '../../lib/adapters/local/index.js';
import { FakeCloudWatch } from '../support/fakeCloudWatch.js';
import { metricsContract } from './metricsContract.js';

metricsContract('memory (local mode)', () => {
  const metrics = new MemoryMetrics(jsonLog(() => undefined, 'error'));
  return { sink: metrics, source: metrics };
});

metricsContract('EMF + CloudWatch GetMetricData (SDK mock with CloudWatch semantics)', () => {
  const cloudWatch = new FakeCloudWatch();
  return {
    sink: cloudWatch.shipping(new EmfMetricsSink('ZkAutoscaler')),
    source: new CloudWatchLoadSource(cloudWatch.client, 'ZkAutoscaler', { attempts: 2, baseDelayMs: 1, sleep: async () => undefined }),
  };
});
