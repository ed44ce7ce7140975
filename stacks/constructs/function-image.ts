import * as path from "path";
import { DataAwsEcrAuthorizationToken } from "@cdktf/provider-aws/lib/data-aws-ecr-authorization-token";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { Image } from "@cdktf/provider-docker/lib/image";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { RegistryImage } from "@cdktf/provider-docker/lib/registry-image";
import { Annotations, AssetType, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import {
  DIGEST_PINNED_IMAGE_URI,
  ECR_IMAGE_URI,
  FunctionArchitecture,
  FunctionRuntime,
} from "../environment/function-fields";
import { AppKey } from "./app-key";
import { stageImageContext } from "./image-context";

/** Root of the project, resolved from this file so that synth works from any working directory. */
const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
/** Folder with one image folder per runtime (`python/`, `nodejs/`). */
export const DEFAULT_IMAGE_FOLDER_ROOT = path.join(PROJECT_ROOT, "lambda-image");
/** Folder in which filtered build contexts are staged before synth copies them into the stack (gitignored). */
export const DEFAULT_IMAGE_STAGING_ROOT = path.join(PROJECT_ROOT, ".gen", "image-context");

/** Images the repository keeps. Older ones expire, and a rollback can reach the last few builds. */
export const FUNCTION_IMAGE_RETAINED_COUNT = 10;

/** Docker platform of each Lambda architecture. */
export const DOCKER_PLATFORMS: Readonly<Record<FunctionArchitecture, string>> = {
  x86_64: "linux/amd64",
  arm64: "linux/arm64",
};

/** Prefix of the synth warning for an image URI that is not pinned by digest; search the output for it. */
export const UNPINNED_IMAGE_URI_WARNING = "[rdsproxy:function-image-not-pinned]";

/** Props of {@link FunctionImage}. */
export interface FunctionImageProps {
  readonly accountId: string;
  readonly region: string;
  /** DNS suffix of the partition, such as `amazonaws.com`; from the stack's aws_partition data source. */
  readonly dnsSuffix: string;
  /** Name of the ECR repository, such as `rdsproxy-dev-function`. */
  readonly repositoryName: string;
  /** Encrypts the repository. */
  readonly appKey: AppKey;
  /** Selects the image folder `<imageFolderRoot>/<runtime>`. */
  readonly runtime: FunctionRuntime;
  /** Instruction set the image is built for. */
  readonly architecture: FunctionArchitecture;
  /**
   * An ECR image URI built elsewhere. When set, the function runs it as given and the stack has no
   * docker provider and builds nothing. When omitted, Terraform builds and pushes the image folder.
   */
  readonly imageUri?: string;
  /** Folder with one image folder per runtime. Default: `lambda-image/` of this project. */
  readonly imageFolderRoot?: string;
  /** Folder in which the filtered build context is staged. Default: `.gen/image-context/` of this project. */
  readonly stagingRoot?: string;
}

/**
 * The function's image: an ECR repository (scanned on push, immutable tags, encrypted with the app
 * key, keeping the newest {@link FUNCTION_IMAGE_RETAINED_COUNT} images) and, unless an image URI is
 * given, the docker provider that builds `lambda-image/<runtime>` and pushes it there.
 *
 * The repository exists in both modes. A pipeline can push to it, and switching an environment from
 * build mode to an image URI does not delete the repository that contains the image the function runs.
 */
export class FunctionImage extends Construct {
  public readonly repository: EcrRepository;
  /** The image the function runs: pinned by digest in build mode, as given with an image URI. */
  public readonly imageUri: string;
  /** Hash of the build context, also the image tag; undefined with an image URI. */
  public readonly contextHash?: string;
  public readonly dockerImage?: Image;
  public readonly registryImage?: RegistryImage;

  constructor(scope: Construct, id: string, props: FunctionImageProps) {
    super(scope, id);
    if (props.imageUri !== undefined && !ECR_IMAGE_URI.test(props.imageUri)) {
      throw new Error(
        `FunctionImage: imageUri "${props.imageUri}" is not an ECR image URI such as ` +
          "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/repo@sha256:<64 hex digits>",
      );
    }

    this.repository = new EcrRepository(this, "Repository", {
      name: props.repositoryName,
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: "KMS", kmsKey: props.appKey.key.arn }],
    });
    new EcrLifecyclePolicy(this, "LifecyclePolicy", {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: `Keep the newest ${FUNCTION_IMAGE_RETAINED_COUNT} images`,
            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: FUNCTION_IMAGE_RETAINED_COUNT },
            action: { type: "expire" },
          },
        ],
      }),
    });

    if (props.imageUri !== undefined) {
      if (!DIGEST_PINNED_IMAGE_URI.test(props.imageUri)) {
        Annotations.of(this).addWarning(
          `${UNPINNED_IMAGE_URI_WARNING} The function image ${props.imageUri} is not pinned by digest: ` +
            "a new image pushed to the same tag reaches the function only when it is next updated. " +
            "Pass <repository>@sha256:<digest> instead.",
        );
      }
      this.imageUri = props.imageUri;
      return;
    }

    const imageFolder = path.join(props.imageFolderRoot ?? DEFAULT_IMAGE_FOLDER_ROOT, props.runtime);
    const staged = stageImageContext(imageFolder, props.stagingRoot ?? DEFAULT_IMAGE_STAGING_ROOT, props.runtime);
    this.contextHash = staged.hash;
    // The asset copies the staged folder into the synthesized stack, so the context path in the JSON is
    // relative to the stack folder and names no folder of the machine that ran synth.
    const context = new TerraformAsset(this, "BuildContext", {
      path: staged.path,
      type: AssetType.DIRECTORY,
      assetHash: staged.hash,
    });

    // Built from account, region and DNS suffix, so the address is known when the provider is configured
    // on the first plan, before the repository exists. aws_partition is computed without an AWS call.
    const registryAddress = `${props.accountId}.dkr.ecr.${props.region}.${props.dnsSuffix}`;
    // NOTE: the token (valid 12 hours) is stored in the state like every data source result: hashicorp/aws
    // 5.100.0 has no ephemeral ECR token that would keep it out. The state bucket is encrypted and TLS-only.
    const token = new DataAwsEcrAuthorizationToken(this, "RegistryToken", { registryId: props.accountId });
    const docker = new DockerProvider(this, "DockerProvider", {
      registryAuth: [{ address: registryAddress, username: token.userName, password: token.password }],
    });

    const triggers = { context_hash: staged.hash };
    this.dockerImage = new Image(this, "Image", {
      provider: docker,
      name: `${registryAddress}/${this.repository.name}:${staged.hash}`,
      triggers,
      // NOTE: the build block of kreuzwerker/docker 3.6.2 has no provenance or sbom switch. Without a
      // `builder`, the provider builds through the Docker Engine API, which adds no attestation
      // manifests. A buildx builder would need BUILDX_NO_DEFAULT_ATTESTATIONS=1 in the deploy environment.
      buildAttribute: {
        context: context.path,
        dockerfile: "Dockerfile",
        platform: DOCKER_PLATFORMS[props.architecture],
      },
    });
    this.registryImage = new RegistryImage(this, "RegistryImage", {
      provider: docker,
      name: this.dockerImage.name,
      // Old images stay for rollback until the lifecycle policy expires them.
      keepRemotely: true,
      triggers,
      dependsOn: [this.repository],
    });
    this.imageUri = `${this.repository.repositoryUrl}@${this.registryImage.sha256Digest}`;
  }
}
