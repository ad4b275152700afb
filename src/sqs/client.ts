// The SQS client ATL polls with: region and credentials resolution (setting → queue URL → profile;
// the Node provider chain with the chosen profile: static keys, assume-role, SSO, credential_process),
// an optional endpoint for emulators, and the one place that turns SDK failures into AtlErrors with
// a message and a fix a person can act on.
import { GetQueueAttributesCommand, SQSClient, type SQSClientConfig } from "@aws-sdk/client-sqs";
import { fromIni, fromNodeProviderChain } from "@aws-sdk/credential-providers";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import { AtlError } from "../shared/errors";
import { translate, type Translate } from "../shared/l10n";
import { queueNameOf, regionFromQueueUrl } from "./queueUrl";

export { queueNameOf, regionFromQueueUrl } from "./queueUrl";

const t: Translate = translate;

export interface SqsConnection {
  queueUrl: string;
  /** `atl.sqs.region`; when empty, taken from the queue URL, then from the profile / environment. */
  region?: string | null;
  /** `atl.sqs.endpoint`, for emulators (fauxqs, LocalStack). */
  endpoint?: string | null;
  /** `atl.aws.profile`; empty: the default chain (environment, default profile, instance role…). */
  profile?: string | null;
  /** Explicit credentials instead of the provider chain (tests, emulators). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Per-request timeout for calls other than the long poll. Default 30 s. */
  requestTimeoutMs?: number;
}

export function validateConnection(connection: SqsConnection): void {
  let url: URL;
  try {
    url = new URL(connection.queueUrl);
  } catch {
    throw new AtlError("config", t("The SQS queue URL {0} is not a URL.", JSON.stringify(connection.queueUrl)), {
      fix: t("Set atl.sqs.queueUrl to the queue's URL, e.g. https://sqs.ap-northeast-2.amazonaws.com/123456789012/atl-alarms."),
    });
  }
  if (!/^https?:$/.test(url.protocol) || !/^\/\d{12}\/[^/]+$/.test(url.pathname)) {
    throw new AtlError("config", t("{0} is not an SQS queue URL.", JSON.stringify(connection.queueUrl)), {
      fix: t("Copy the URL from the SQS console (queue → Details → URL): https://sqs.REGION.amazonaws.com/ACCOUNT_ID/QUEUE_NAME."),
    });
  }
}

export function createSqsClient(connection: SqsConnection): SQSClient {
  validateConnection(connection);
  const region = connection.region || regionFromQueueUrl(connection.queueUrl) || undefined;
  const profile = connection.profile || undefined;
  const config: SQSClientConfig = {
    region,
    profile,
    credentials: connection.credentials ?? fromNodeProviderChain({ profile }),
    // The consumer does its own backoff; SDK retries would hide errors behind long waits.
    maxAttempts: 2,
    requestHandler: { requestTimeout: connection.requestTimeoutMs ?? 30_000, connectionTimeout: 10_000 },
  };
  if (connection.endpoint) {
    config.endpoint = connection.endpoint;
  }
  return new SQSClient(config);
}

export interface QueueDescription {
  queueUrl: string;
  queueArn: string | null;
  region: string;
  visibleMessages: number;
  inFlightMessages: number;
  /** The queue's default visibility timeout, seconds. */
  visibilityTimeoutSeconds: number | null;
  /** The dead-letter queue's ARN when a redrive policy is set. */
  deadLetterQueueArn: string | null;
}

/** GetQueueAttributes: checks credentials, permissions and the queue at once (the "Test connection" command). */
export async function describeQueue(client: SQSClient, connection: SqsConnection, signal?: AbortSignal): Promise<QueueDescription> {
  try {
    const out = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: connection.queueUrl,
        AttributeNames: ["QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "VisibilityTimeout", "RedrivePolicy"],
      }),
      { abortSignal: signal },
    );
    const attributes = out.Attributes ?? {};
    let deadLetterQueueArn: string | null = null;
    try {
      const redrive = JSON.parse(attributes.RedrivePolicy ?? "null") as { deadLetterTargetArn?: unknown } | null;
      deadLetterQueueArn = typeof redrive?.deadLetterTargetArn === "string" ? redrive.deadLetterTargetArn : null;
    } catch {
      deadLetterQueueArn = null;
    }
    return {
      queueUrl: connection.queueUrl,
      queueArn: attributes.QueueArn ?? null,
      region: await client.config.region(),
      visibleMessages: Number(attributes.ApproximateNumberOfMessages ?? 0),
      inFlightMessages: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      visibilityTimeoutSeconds: attributes.VisibilityTimeout ? Number(attributes.VisibilityTimeout) : null,
      deadLetterQueueArn,
    };
  } catch (error) {
    throw await diagnoseSqsError(error, connection);
  }
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED", "UND_ERR_SOCKET"]);
const BAD_CREDENTIAL_NAMES = new Set([
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "InvalidSignatureException",
  "IncompleteSignature",
  "MissingAuthenticationToken",
  "InvalidSecurity",
  "AuthFailure",
]);
const EXPIRED_NAMES = new Set(["ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"]);
const ACCESS_DENIED_NAMES = new Set(["AccessDenied", "AccessDeniedException", "KmsAccessDenied", "KMS.AccessDeniedException", "KmsDisabled", "KMS.DisabledException"]);
const QUEUE_MISSING_NAMES = new Set(["QueueDoesNotExist", "QueueDoesNotExistException", "AWS.SimpleQueueService.NonExistentQueue", "NonExistentQueue"]);
const THROTTLED_NAMES = new Set(["ThrottlingException", "RequestThrottled", "Throttling", "OverLimit", "KmsThrottled", "KMS.ThrottlingException"]);

/** Maps anything the SDK or the credential chain throws to one AtlError with a fix. */
export function toSqsError(error: unknown, connection: SqsConnection): AtlError {
  if (error instanceof AtlError) {
    return error;
  }
  const e = (error ?? {}) as { name?: unknown; message?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = typeof e.name === "string" ? e.name : "";
  const awsCode = typeof e.Code === "string" ? e.Code : "";
  const nodeCode = networkCodeOf(error);
  const message = typeof e.message === "string" ? e.message : String(error);
  const profile = connection.profile || null;
  const profileText = profile ? t('profile "{0}"', profile) : t("the default credentials");
  const queue = queueNameOf(connection.queueUrl);
  const status = e.$metadata?.httpStatusCode;
  const is = (names: Set<string>): boolean => names.has(name) || names.has(awsCode);

  if (name === "TokenProviderError" || /SSO session associated with this profile (has expired|is invalid)|Token is expired|sso.*(expired|refresh)/i.test(message)) {
    return new AtlError("sqs-credentials", t("The AWS SSO session of {0} has expired.", profileText), {
      cause: error,
      fix: t("Run `{0}`; polling resumes by itself.", `aws sso login${profile ? ` --profile ${profile}` : ""}`),
    });
  }
  if (name === "CredentialsProviderError" || /Could not load credentials|Could not resolve credentials/i.test(message)) {
    if (/credential_process|^Command failed/i.test(message)) {
      return new AtlError("sqs-credentials", t("The credential_process of {0} failed: {1}", profileText, firstLine(message)), {
        cause: error,
        fix: t("Run that command in a terminal to see why; polling resumes once it works."),
      });
    }
    if (profile && /Could not resolve credentials using profile|profile.*(not found|could not be found)/i.test(message)) {
      return new AtlError("sqs-credentials", t('AWS profile "{0}" was not found or has no credentials.', profile), {
        cause: error,
        fix: t("Check atl.aws.profile against ~/.aws/config and ~/.aws/credentials (or AWS_CONFIG_FILE)."),
      });
    }
    return new AtlError("sqs-credentials", t("No AWS credentials found ({0}): {1}", profileText, firstLine(message)), {
      cause: error,
      fix: t("Set atl.aws.profile to a profile in ~/.aws/config, or sign in (`aws configure` or `aws sso login`)."),
    });
  }
  if (is(EXPIRED_NAMES)) {
    return new AtlError("sqs-credentials", t("The AWS credentials of {0} have expired.", profileText), {
      cause: error,
      fix: profile ? t("Refresh them (e.g. `aws sso login --profile {0}`); polling resumes by itself.", profile) : t("Refresh your AWS session; polling resumes by itself."),
    });
  }
  if (is(BAD_CREDENTIAL_NAMES)) {
    return new AtlError("sqs-credentials", t("AWS rejected the credentials of {0} ({1}).", profileText, name || awsCode), {
      cause: error,
      fix: t("Check the access key (or the role) behind that profile; for an emulator, any key works but the endpoint must be set."),
    });
  }
  if (is(ACCESS_DENIED_NAMES) || status === 403) {
    const action = /perform: ([a-z0-9]+:[A-Za-z]+)/i.exec(message)?.[1];
    const kms = /kms/i.test(name) || /kms/i.test(message);
    return new AtlError("sqs-access-denied", action ? t('Access denied to the SQS queue "{0}" (missing {1}).', queue, action) : t('Access denied to the SQS queue "{0}".', queue), {
      cause: error,
      fix: kms
        ? t("The queue is encrypted with a KMS key: allow kms:Decrypt on that key for your role, as well as the SQS permissions.")
        : t("Allow sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility and sqs:GetQueueAttributes on this queue for your role (see the ATL docs, alarms)."),
    });
  }
  if (is(QUEUE_MISSING_NAMES)) {
    return new AtlError("sqs-queue-not-found", connection.region ? t('The SQS queue "{0}" does not exist in {1}.', queue, connection.region) : t('The SQS queue "{0}" does not exist.', queue), {
      cause: error,
      fix: t("Check atl.sqs.queueUrl (and atl.sqs.region): copy the URL from the SQS console."),
    });
  }
  if (/Region is missing|region.*(not|missing|invalid)/i.test(message) && name !== "AbortError") {
    return new AtlError("config", t("No AWS region is known for the SQS queue."), {
      cause: error,
      fix: t("Set atl.sqs.region (e.g. ap-northeast-2), or add a region to the AWS profile."),
    });
  }
  if (nodeCode || name === "TimeoutError" || name === "RequestTimeout" || /socket hang up|network|fetch failed/i.test(message)) {
    const where = connection.endpoint ? connection.endpoint : `SQS (${hostOf(connection.queueUrl)})`;
    return new AtlError("sqs-network", nodeCode || name ? t("Cannot reach {0} ({1}).", where, nodeCode ?? name) : t("Cannot reach {0}.", where), {
      cause: error,
      fix: connection.endpoint
        ? t("Is the emulator running at atl.sqs.endpoint? ATL keeps retrying.")
        : t("Check the network, VPN or proxy; ATL keeps retrying."),
    });
  }
  if (is(THROTTLED_NAMES)) {
    return new AtlError("sqs", t("SQS is throttling ATL's requests."), { cause: error, fix: t("ATL slows down and retries by itself.") });
  }
  if (status !== undefined && status >= 500) {
    return new AtlError("sqs", t("SQS answered with an error ({0}).", name || status), { cause: error, fix: t("A problem on AWS's side; ATL retries by itself.") });
  }
  return new AtlError("sqs", name ? t("SQS request failed: {0}: {1}", name, firstLine(message)) : t("SQS request failed: {0}", firstLine(message)), { cause: error });
}

/**
 * Like toSqsError, but when the provider chain only says "Could not load credentials from any
 * providers" for a named profile, asks that profile's provider again to learn the real reason (a
 * missing profile, a failing credential_process, an expired SSO session).
 */
export async function diagnoseSqsError(error: unknown, connection: SqsConnection): Promise<AtlError> {
  const mapped = toSqsError(error, connection);
  const generic = mapped.code === "sqs-credentials" && /from any providers/i.test(mapped.message);
  if (!generic || !connection.profile || connection.credentials) {
    return mapped;
  }
  try {
    await fromIni({ profile: connection.profile, ignoreCache: true })();
  } catch (specific) {
    return toSqsError(specific, connection);
  }
  return mapped;
}

function networkCodeOf(error: unknown): string | null {
  // Node 20 reports a refused dual-stack connect as an AggregateError; the code may sit on `cause` or the inner errors.
  const visit = (value: unknown, depth: number): string | null => {
    if (depth > 3 || typeof value !== "object" || value === null) {
      return null;
    }
    const v = value as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof v.code === "string" && NETWORK_CODES.has(v.code)) {
      return v.code;
    }
    for (const inner of [v.cause, ...(Array.isArray(v.errors) ? (v.errors as unknown[]) : [])]) {
      const found = visit(inner, depth + 1);
      if (found) {
        return found;
      }
    }
    return null;
  };
  return visit(error, 0);
}

function firstLine(text: string): string {
  const line = text.split("\n")[0].trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
