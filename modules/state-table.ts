import { Construct } from "constructs";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table/index.js";
import { named } from "./logical-id.js";

/** The single-table key schema every handler codes against. */
export const STATE_TABLE_KEYS = {
  partitionKey: "pk",
  sortKey: "sk",
  index: "gsi1",
  indexPartitionKey: "gsi1pk",
  indexSortKey: "gsi1sk",
  /** Epoch seconds; DynamoDB deletes the item some time after. */
  ttlAttribute: "expiresAt",
} as const;

export interface StateTableProps {
  readonly tableName: string;
  readonly deletionProtection: boolean;
}

/**
 * The one DynamoDB table of FleetOTA (campaigns, vehicle jobs, idempotency markers): on-demand,
 * point-in-time recovery, encrypted, a TTL attribute and one overloaded GSI.
 *
 * @example
 * const state = new StateTable(this, "state", { tableName: "fleetota-dev-state", deletionProtection: false });
 * state.tableName; state.indexArn;
 */
export class StateTable extends Construct {
  readonly table: DynamodbTable;
  readonly tableName: string;
  readonly tableArn: string;
  /** The GSI (`gsi1`), for IAM statements that only query through it. */
  readonly indexArn: string;
  /** The table and its indexes, for IAM statements that read through the GSI. */
  readonly tableAndIndexArns: readonly string[];

  constructor(scope: Construct, id: string, props: StateTableProps) {
    super(scope, id);
    const keys = STATE_TABLE_KEYS;
    this.table = named(
      new DynamodbTable(this, "table", {
        name: props.tableName,
        billingMode: "PAY_PER_REQUEST",
        hashKey: keys.partitionKey,
        rangeKey: keys.sortKey,
        attribute: [keys.partitionKey, keys.sortKey, keys.indexPartitionKey, keys.indexSortKey].map((name) => ({ name, type: "S" })),
        globalSecondaryIndex: [
          { name: keys.index, hashKey: keys.indexPartitionKey, rangeKey: keys.indexSortKey, projectionType: "ALL" },
        ],
        ttl: { attributeName: keys.ttlAttribute, enabled: true },
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: { enabled: true },
        deletionProtectionEnabled: props.deletionProtection,
      }),
      "state_table",
    );
    this.tableName = this.table.name;
    this.tableArn = this.table.arn;
    this.indexArn = `${this.tableArn}/index/${keys.index}`;
    this.tableAndIndexArns = [this.tableArn, this.indexArn];
  }
}
