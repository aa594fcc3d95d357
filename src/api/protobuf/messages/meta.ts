// k8s.io/apimachinery: runtime.Unknown (the envelope) and meta/v1 types embedded in every object.
export const metaMessages: Record<string, readonly string[]> = {
  'runtime.TypeMeta': ['1 apiVersion string', '2 kind string'],
  'runtime.Unknown': ['1 typeMeta runtime.TypeMeta', '2 raw bytes', '3 contentEncoding string', '4 contentType string'],

  ObjectMeta: [
    '1 name string', '2 generateName string', '3 namespace string', '4 selfLink string', '5 uid string',
    '6 resourceVersion string', '7 generation int64', '8 creationTimestamp Time', '9 deletionTimestamp Time *',
    '10 deletionGracePeriodSeconds int64 *', '11 labels map<string>', '12 annotations map<string>',
    '13 ownerReferences OwnerReference[]', '14 finalizers string[]', '17 managedFields ManagedFieldsEntry[]',
  ],
  OwnerReference: [
    '5 apiVersion string !', '1 kind string !', '3 name string !', '4 uid string !',
    '6 controller bool *', '7 blockOwnerDeletion bool *',
  ],
  ManagedFieldsEntry: [
    '1 manager string', '2 operation string', '3 apiVersion string', '4 time Time *',
    '6 fieldsType string', '7 fieldsV1 FieldsV1 *', '8 subresource string',
  ],
  LabelSelector: ['1 matchLabels map<string>', '2 matchExpressions LabelSelectorRequirement[]'],
  LabelSelectorRequirement: ['1 key string !', '2 operator string !', '3 values string[]'],
  Condition: [
    '1 type string !', '2 status string !', '3 observedGeneration int64', '4 lastTransitionTime Time',
    '5 reason string !', '6 message string !',
  ],
};

// Wire shapes of the value types named Time, MicroTime, Quantity, IntOrString and FieldsV1 in
// field lines (their JSON forms live in values.ts).
export const valueTypeMessages: Record<string, readonly string[]> = {
  'meta.Timestamp': ['1 seconds int64', '2 nanos int32'],
  'resource.Quantity': ['1 string string'],
  'intstr.IntOrString': ['1 type int64', '2 intVal int32', '3 strVal string'],
  'meta.FieldsV1': ['1 raw bytes'],
};
