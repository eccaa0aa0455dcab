/**
 * Request latencies on AWS, for the cost model's processor compute "modelled at AWS latencies": the
 * emulator answers each call in tens of milliseconds on a loaded machine, so the local runtime's
 * durations overstate what the processor waits on AWS. These are published figures (or a stated
 * assumption), not measurements: the README shows the modelled figure next to the measured one, never
 * instead of it.
 */
export interface Latency {
  readonly ms: number;
  readonly source: string;
}

export const AWS_LATENCY = {
  dynamoDb: {
    ms: 10,
    source: "DynamoDB: 'single-digit millisecond performance at any scale' (aws.amazon.com/dynamodb); the upper end taken",
  },
  s3: {
    ms: 50,
    source:
      "S3: 'for small requests (less than 512 KB), median latencies are often in the tens of milliseconds' (AWS whitepaper Optimizing Amazon S3 Performance, Timeouts and Retries for Latency-Sensitive Applications); 50 ms taken",
  },
  otherApi: {
    ms: 50,
    source: "SQS: no published figure; assumed as slow as S3",
  },
} as const satisfies Record<string, Latency>;
