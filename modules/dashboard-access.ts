import { Construct } from "constructs";
import type { TerraformProvider } from "cdktf";
import { Wafv2IpSet } from "@cdktf/provider-aws/lib/wafv2-ip-set/index.js";
import { Wafv2WebAcl } from "@cdktf/provider-aws/lib/wafv2-web-acl/index.js";
import { named } from "./logical-id.js";

export interface DashboardAccessProps {
  readonly namePrefix: string;
  /** CIDRs allowed to open the dashboard (office, VPN egress); IPv4 and IPv6 mixed. Empty: nobody. */
  readonly allowedCidrs: readonly string[];
  /** An `aws` provider in us-east-1: a CloudFront web ACL lives there. */
  readonly usEast1: TerraformProvider;
}

export class InvalidCidrError extends Error {
  override readonly name = "InvalidCidrError";
  constructor(readonly cidr: string) {
    super(`dashboard allow-list entry "${cidr}" is not an operator network: give IPv4 or IPv6 CIDRs narrower than /0 (e.g. 203.0.113.0/24, 2001:db8::/32)`);
  }
}

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const IPV6_CIDR = /^[0-9a-fA-F:]+:[0-9a-fA-F:]*\/(12[0-8]|1[01]\d|[1-9]?\d)$/;

/**
 * Splits an allow-list into the IPv4 and IPv6 sets WAF wants; refuses anything that is not a CIDR
 * (a bare address, a `0.0.0.0/0` that would open the dashboard to everyone).
 *
 * @example
 * splitCidrs(["203.0.113.0/24", "2001:db8::/32"]) // { ipv4: ["203.0.113.0/24"], ipv6: ["2001:db8::/32"] }
 */
export function splitCidrs(cidrs: readonly string[]): { ipv4: string[]; ipv6: string[] } {
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  for (const raw of cidrs) {
    const cidr = raw.trim();
    if (/\/0$/.test(cidr)) throw new InvalidCidrError(cidr);
    if (IPV4_CIDR.test(cidr)) ipv4.push(cidr);
    else if (IPV6_CIDR.test(cidr)) ipv6.push(cidr);
    else throw new InvalidCidrError(cidr);
  }
  return { ipv4, ipv6 };
}

const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true });

/**
 * Who may open the dashboard on AWS: a WAF web ACL on its CloudFront distribution that blocks by default
 * and allows only the operators' networks (`allowedCidrs`), after AWS's known-bad-inputs rules (Log4j and
 * friends). On by default; with an empty allow-list the dashboard answers 403 to everyone until the
 * operators' networks are listed (FLEETOTA_STACK_DASHBOARD_ALLOWED_CIDRS).
 *
 * @example
 * const access = new DashboardAccess(this, "dashboard-access", { namePrefix: "fleetota-dev", allowedCidrs: ["203.0.113.0/24"], usEast1 });
 * access.webAclArn // for the distribution's web_acl_id
 */
export class DashboardAccess extends Construct {
  readonly webAcl: Wafv2WebAcl;
  readonly webAclArn: string;

  constructor(scope: Construct, id: string, props: DashboardAccessProps) {
    super(scope, id);
    const { ipv4, ipv6 } = splitCidrs(props.allowedCidrs);
    const ipSet = (version: "IPV4" | "IPV6", addresses: string[]) =>
      named(
        new Wafv2IpSet(this, `allowed-${version.toLowerCase()}`, {
          provider: props.usEast1,
          name: `${props.namePrefix}-dashboard-allowed-${version.toLowerCase()}`,
          description: "Operator networks allowed to open the FleetOTA dashboard",
          scope: "CLOUDFRONT",
          ipAddressVersion: version,
          addresses,
        }),
        `dashboard_allowed_${version.toLowerCase()}`,
      );
    const allowedV4 = ipSet("IPV4", ipv4);
    const allowedV6 = ipSet("IPV6", ipv6);

    // The provider types a rule's `statement` as untyped JSON (its nesting is recursive): cdktf passes it
    // through as written, so it is written in Terraform's snake_case.
    this.webAcl = named(
      new Wafv2WebAcl(this, "acl", {
        provider: props.usEast1,
        name: `${props.namePrefix}-dashboard`,
        description: "FleetOTA dashboard: operator networks only",
        scope: "CLOUDFRONT",
        defaultAction: { block: {} },
        visibilityConfig: visibility(`${props.namePrefix}-dashboard`),
        rule: [
          {
            name: "known-bad-inputs",
            priority: 0,
            overrideAction: { none: {} },
            statement: { managed_rule_group_statement: { vendor_name: "AWS", name: "AWSManagedRulesKnownBadInputsRuleSet" } },
            visibilityConfig: visibility(`${props.namePrefix}-dashboard-known-bad-inputs`),
          },
          {
            name: "operator-networks",
            priority: 1,
            action: { allow: {} },
            statement: {
              or_statement: {
                statement: [{ ip_set_reference_statement: { arn: allowedV4.arn } }, { ip_set_reference_statement: { arn: allowedV6.arn } }],
              },
            },
            visibilityConfig: visibility(`${props.namePrefix}-dashboard-operator-networks`),
          },
        ],
      }),
      "dashboard_web_acl",
    );
    this.webAclArn = this.webAcl.arn;
  }
}
