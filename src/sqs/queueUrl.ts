// What ATL reads from an SQS queue URL without the AWS SDK (the settings and the Alarms view use it
// at activation; the SDK itself lives in dist/sqs.js, loaded when polling starts).

const REGION = "([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\\d)";
/** `https://sqs.REGION.amazonaws.com/…`, VPC endpoints `…sqs.REGION.vpce.amazonaws.com`, emulators `sqs.REGION.localhost`. */
const SQS_HOST_REGION = new RegExp(`(?:^|\\.)sqs\\.${REGION}\\.`);
/** Legacy `https://REGION.queue.amazonaws.com/…`. */
const LEGACY_HOST_REGION = new RegExp(`^${REGION}\\.queue\\.`);

export function regionFromQueueUrl(queueUrl: string): string | null {
  let host: string;
  try {
    host = new URL(queueUrl).hostname;
  } catch {
    return null;
  }
  return SQS_HOST_REGION.exec(host)?.[1] ?? LEGACY_HOST_REGION.exec(host)?.[1] ?? null;
}

/** The queue's name: the last path segment of its URL. */
export function queueNameOf(queueUrl: string): string {
  return queueUrl.split("/").filter(Boolean).pop() ?? queueUrl;
}
