import { PutMetricDataCommand, type CloudWatchClient, type MetricDatum } from "@aws-sdk/client-cloudwatch";
import { GetQueueAttributesCommand, ListQueuesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Log } from "../../lib/logger.js";
import type { FunctionHost, InvocationRecord } from "./lambda/function-host.js";
import type { EventSourcePoller } from "./sqs/event-source-poller.js";

export interface ServiceMetricsOptions {
  sqs: SQSClient;
  cloudwatch: CloudWatchClient;
  hosts: readonly FunctionHost[];
  pollers: readonly EventSourcePoller[];
  log: Log;
}

const PUT_CHUNK = 500;

function queueNameOf(queueUrl: string): string {
  return queueUrl.slice(queueUrl.lastIndexOf("/") + 1);
}

/**
 * The AWS/Lambda datums AWS would have published for these invocations: Invocations, Errors,
 * Throttles (counts) and Duration (a statistic set), by FunctionName. Nothing when there was no activity.
 *
 * @example
 * lambdaDatums("fleetota-dev-update-manager", host.drainActivity(), new Date());
 */
export function lambdaDatums(functionName: string, activity: InvocationRecord[], at: Date): MetricDatum[] {
  if (activity.length === 0) return [];
  const dimensions = [{ Name: "FunctionName", Value: functionName }];
  const invocations = activity.filter((record) => !record.throttled);
  const count = (name: string, value: number): MetricDatum => ({ MetricName: name, Dimensions: dimensions, Timestamp: at, Value: value, Unit: "Count" });
  const datums = [
    count("Invocations", invocations.length),
    count("Errors", invocations.filter((record) => record.error).length),
    count("Throttles", activity.length - invocations.length),
  ];
  if (invocations.length > 0) {
    const durations = invocations.map((record) => record.durationMs);
    datums.push({
      MetricName: "Duration",
      Dimensions: dimensions,
      Timestamp: at,
      Unit: "Milliseconds",
      StatisticValues: {
        SampleCount: durations.length,
        Sum: durations.reduce((total, value) => total + value, 0),
        Minimum: Math.min(...durations),
        Maximum: Math.max(...durations),
      },
    });
  }
  return datums;
}

/**
 * Publishes the service metrics moto never emits, so the stack's alarms have data locally:
 * AWS/SQS ApproximateNumberOfMessagesVisible / NotVisible / Delayed for every queue (DLQs included,
 * from GetQueueAttributes), ApproximateAgeOfOldestMessage for mapped queues (age of the oldest message
 * their pollers received since the last publish; 0 when the queue is empty), and AWS/Lambda
 * Invocations / Errors / Throttles / Duration for every function that ran.
 *
 * @example
 * await new ServiceMetricsPublisher({ sqs, cloudwatch, hosts, pollers, log }).publish();
 */
export class ServiceMetricsPublisher {
  constructor(private readonly options: ServiceMetricsOptions) {}

  async publish(now = new Date()): Promise<void> {
    const sqsDatums = await this.queueDatums(now);
    const lambda = this.options.hosts.flatMap((host) => lambdaDatums(host.functionName, host.drainActivity(), now));
    await this.put("AWS/SQS", sqsDatums);
    await this.put("AWS/Lambda", lambda);
  }

  private async queueDatums(now: Date): Promise<MetricDatum[]> {
    const { sqs } = this.options;
    const ageByQueueName = new Map<string, number>();
    for (const poller of this.options.pollers) {
      const age = poller.drainOldestAgeSeconds();
      const queueName = queueNameOf(poller.mapping.queueUrl);
      if (age !== undefined) ageByQueueName.set(queueName, Math.max(age, ageByQueueName.get(queueName) ?? 0));
    }
    const mappedQueueNames = new Set(this.options.pollers.map((poller) => queueNameOf(poller.mapping.queueUrl)));
    const datums: MetricDatum[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sqs.send(new ListQueuesCommand({ NextToken: nextToken, MaxResults: 1000 }));
      for (const queueUrl of page.QueueUrls ?? []) {
        const { Attributes = {} } = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: queueUrl,
            AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
          }),
        );
        const queueName = queueNameOf(queueUrl);
        const dimensions = [{ Name: "QueueName", Value: queueName }];
        const gauge = (name: string, value: number, unit: "Count" | "Seconds" = "Count"): MetricDatum => ({ MetricName: name, Dimensions: dimensions, Timestamp: now, Value: value, Unit: unit });
        const visible = Number(Attributes.ApproximateNumberOfMessages ?? 0);
        const notVisible = Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
        datums.push(
          gauge("ApproximateNumberOfMessagesVisible", visible),
          gauge("ApproximateNumberOfMessagesNotVisible", notVisible),
          gauge("ApproximateNumberOfMessagesDelayed", Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)),
        );
        const age = visible + notVisible === 0 ? 0 : ageByQueueName.get(queueName);
        if (mappedQueueNames.has(queueName) && age !== undefined) datums.push(gauge("ApproximateAgeOfOldestMessage", Math.round(age), "Seconds"));
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return datums;
  }

  private async put(namespace: string, datums: MetricDatum[]): Promise<void> {
    for (let start = 0; start < datums.length; start += PUT_CHUNK) {
      await this.options.cloudwatch.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: datums.slice(start, start + PUT_CHUNK) }));
    }
  }
}
