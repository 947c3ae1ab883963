import { ApiObject, type ApiObjectProps } from "cdk8s";
import { Construct } from "constructs";

/**
 * One object of a CRD, written from its typed model (`@kubernetes-models/*`) and checked at synth time:
 * `problems` (usually the model's schema validator) runs as the construct's validation, so an object the
 * CRD would reject fails `npm run synth` naming this construct.
 */
export abstract class TypedApiObject<T extends ApiObjectProps> extends Construct {
  /** The object as written. */
  public readonly manifest: T;

  /** `objectId` is the construct id of the `ApiObject` inside this construct. */
  protected constructor(
    scope: Construct,
    id: string,
    objectId: string,
    manifest: T,
    problems: (manifest: T) => string[],
  ) {
    super(scope, id);
    this.manifest = manifest;
    new ApiObject(this, objectId, manifest);
    this.node.addValidation({ validate: () => problems(manifest) });
  }
}
