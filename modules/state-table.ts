import { Construct } from "constructs";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table/index.js";
import { OWED_INDEX } from "../campaigns/store/keys.js";
import { named } from "./logical-id.js";

/** The single-table key schema every handler codes against. */
export const STATE_TABLE_KEYS = {
  partitionKey: "pk",
  sortKey: "sk",
  index: "gsi1",
  indexPartitionKey: "gsi1pk",
  indexSortKey: "gsi1sk",
  /** The sparse index of jobs owing their withdrawal (campaigns/store/keys.ts): its keys are set only while owed. */
  owedIndex: OWED_INDEX.name,
  owedIndexPartitionKey: OWED_INDEX.partitionKey,
  owedIndexSortKey: OWED_INDEX.sortKey,
  /** Epoch seconds; DynamoDB deletes the item some time after. */
  ttlAttribute: "expiresAt",
} as const;

export interface StateTableProps {
  readonly tableName: string;
  readonly deletionProtection: boolean;
}

/**
 * The one DynamoDB table of FleetOTA (campaigns, vehicle jobs, idempotency markers): on-demand,
 * point-in-time recovery, encrypted, a TTL attribute, one overloaded GSI and one sparse GSI (jobs owing a withdrawal).
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
  /** The table and its overloaded GSI, for IAM statements that read through it. */
  readonly tableAndIndexArns: readonly string[];
  /** The sparse GSI of jobs owing their withdrawal (`owed`): only the update manager's tick reads it. */
  readonly owedIndexArn: string;

  constructor(scope: Construct, id: string, props: StateTableProps) {
    super(scope, id);
    const keys = STATE_TABLE_KEYS;
    this.table = named(
      new DynamodbTable(this, "table", {
        name: props.tableName,
        billingMode: "PAY_PER_REQUEST",
        hashKey: keys.partitionKey,
        rangeKey: keys.sortKey,
        attribute: [keys.partitionKey, keys.sortKey, keys.indexPartitionKey, keys.indexSortKey, keys.owedIndexPartitionKey, keys.owedIndexSortKey].map(
          (name) => ({ name, type: "S" }),
        ),
        globalSecondaryIndex: [
          { name: keys.index, hashKey: keys.indexPartitionKey, rangeKey: keys.indexSortKey, projectionType: "ALL" },
          // Sparse: only jobs owing a withdrawal carry its keys. ALL, so the tick reads whole jobs in one query (few, small).
          { name: keys.owedIndex, hashKey: keys.owedIndexPartitionKey, rangeKey: keys.owedIndexSortKey, projectionType: "ALL" },
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
    this.owedIndexArn = `${this.tableArn}/index/${keys.owedIndex}`;
  }
}
