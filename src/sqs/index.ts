// Entry of dist/sqs.js: the AWS SDK client and the SqsAlarmConsumer. The editor loads this bundle
// when this window starts polling or tests a connection, never at activation (the SDK is most of
// its size and of its load time).
export { createSqsClient, describeQueue, type QueueDescription, type SqsConnection } from "./client";
export { SqsAlarmConsumer, type ConsumerState } from "./consumer";
