/**
 * Raised when a `application/vnd.kubernetes.protobuf` body cannot be turned into an object.
 * Messages follow the apiserver's own decoding errors (runtime/serializer/protobuf and the
 * gogo-generated Unmarshal code), so a caller can put them into a 400 Status unchanged.
 */
export class ProtobufError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufError';
  }
}
