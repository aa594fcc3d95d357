// Objects shaped as the apiserver stores them after defaulting, for the patch tests.
export function deployment(): Record<string, any> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '5', generation: 1, labels: { app: 'web' }, annotations: { 'deployment.kubernetes.io/revision': '1' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'nginx', image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent', resources: {}, ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }] },
            { name: 'sidecar', image: 'busybox', args: ['sleep', '3600'] },
          ],
          restartPolicy: 'Always',
          tolerations: [{ key: 'a', operator: 'Exists' }],
        },
      },
    },
    status: { replicas: 2 },
  };
}

export const DEPLOY = { group: 'apps', kind: 'Deployment' };
export const DEPLOY_V1 = { ...DEPLOY, apiVersion: 'apps/v1' };
