/**
 * SQS API errors as the JSON protocol returns them, so the AWS SDK raises the same typed exception
 * locally as on AWS (`UnsupportedOperation`, `ResourceNotFoundException`, …).
 */
export const SQS_ERROR_CODE = {
  ResourceNotFound: "ResourceNotFoundException",
  UnsupportedOperation: "UnsupportedOperation",
  InvalidParameterValue: "InvalidParameterValueException",
  InvalidAddress: "InvalidAddress",
} as const;

export type SqsErrorCode = (typeof SQS_ERROR_CODE)[keyof typeof SQS_ERROR_CODE];

/** The legacy query-protocol code AWS also sends (header `x-amzn-query-error`). */
const QUERY_CODES: Record<SqsErrorCode, string> = {
  ResourceNotFoundException: "ResourceNotFoundException",
  UnsupportedOperation: "AWS.SimpleQueueService.UnsupportedOperation",
  InvalidParameterValueException: "InvalidParameterValue",
  InvalidAddress: "InvalidAddress",
};

export class SqsApiError extends Error {
  override readonly name = "SqsApiError";
  constructor(readonly code: SqsErrorCode, message: string, readonly statusCode = 400) {
    super(message);
  }

  /** HTTP status, headers and body of this error in the SQS JSON protocol. */
  toResponse(): { statusCode: number; headers: Record<string, string>; body: string } {
    return {
      statusCode: this.statusCode,
      headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-query-error": `${QUERY_CODES[this.code]};Sender` },
      body: JSON.stringify({ __type: `com.amazonaws.sqs#${this.code}`, message: this.message }),
    };
  }
}
