// Kubernetes' HPA walkthrough's manifests (horizontal-pod-autoscale-walkthrough.md): php-apache,
// whose built-in image burns CPU per request as the PHP loop does, and its busybox load generator.

export const PHP_APACHE = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: php-apache }
spec:
  selector: { matchLabels: { run: php-apache } }
  template:
    metadata: { labels: { run: php-apache } }
    spec:
      containers:
      - name: php-apache
        image: registry.k8s.io/hpa-example
        ports: [{ containerPort: 80 }]
        resources: { limits: { cpu: 500m }, requests: { cpu: 200m } }
---
apiVersion: v1
kind: Service
metadata: { name: php-apache, labels: { run: php-apache } }
spec:
  ports: [{ port: 80 }]
  selector: { run: php-apache }
`;

export const LOAD_GENERATOR = `
apiVersion: v1
kind: Pod
metadata: { name: load-generator, labels: { app: load } }
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: load
    image: busybox:1.28
    command: ["/bin/sh", "-c", "while sleep 0.01; do wget -q -O- http://php-apache; done"]
`;
