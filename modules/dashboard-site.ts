import { Construct } from "constructs";
import { AssetType, TerraformAsset } from "cdktf";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { CloudfrontDistribution } from "@cdktf/provider-aws/lib/cloudfront-distribution/index.js";
import { CloudfrontOriginAccessControl } from "@cdktf/provider-aws/lib/cloudfront-origin-access-control/index.js";
import { CloudfrontResponseHeadersPolicy } from "@cdktf/provider-aws/lib/cloudfront-response-headers-policy/index.js";
import { DASHBOARD_CONTENT_SECURITY_POLICY, DASHBOARD_HSTS_MAX_AGE_SECONDS } from "../contracts/dashboard-headers.js";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object/index.js";
import { ACCESS_LOG_PREFIX } from "./access-log-bucket.js";
import { named, snake } from "./logical-id.js";
import { SecureBucket } from "./secure-bucket.js";

/** Prefix under which the dashboard publisher writes the data JSON the web app reads. */
export const DASHBOARD_DATA_PREFIX = "data/";

/** AWS managed cache policies (fixed ids, the same in every account). */
const MANAGED_CACHE_POLICY = {
  cachingOptimized: "658327ea-f89d-4fab-a63d-7e88639e58f6",
  cachingDisabled: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
} as const;

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

/**
 * The MIME type a web build file is served with.
 *
 * @example
 * contentTypeFor("index.html") // "text/html; charset=utf-8"
 */
export function contentTypeFor(fileName: string): string {
  return CONTENT_TYPES[extname(fileName).toLowerCase()] ?? "application/octet-stream";
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

export interface DashboardSiteProps {
  readonly namePrefix: string;
  readonly bucketName: string;
  /** The web build (dist/web). Missing or empty: the site is created without objects. */
  readonly webBuildDir: string;
  readonly priceClass: string;
  readonly forceDestroy: boolean;
  /** The WAF web ACL (ARN) deciding who may open the dashboard (DashboardAccess). */
  readonly webAclArn: string;
  /** Access-log bucket (domain name) for the distribution's standard logs, under `cloudfront/`. */
  readonly logBucketDomainName: string;
  /**
   * A custom domain with its ACM certificate (issued, in us-east-1): served with TLS 1.2 or later only.
   * Without it the distribution answers on its `*.cloudfront.net` name, whose shared certificate
   * CloudFront does not let anyone restrict below TLSv1.
   */
  readonly domain?: DashboardDomain;
}

export interface DashboardDomain {
  readonly name: string;
  readonly certificateArn: string;
}

/** The minimum TLS version of the dashboard with a custom domain (TLS 1.2, modern ciphers). */
export const DASHBOARD_MINIMUM_TLS = "TLSv1.2_2021";

/**
 * The static dashboard: a private bucket served only through CloudFront (origin access control,
 * a bucket policy naming this distribution), the web build uploaded as objects with their content
 * types, and `data/` — written by the dashboard publisher — served uncached.
 *
 * @example
 * const site = new DashboardSite(this, "dashboard", { namePrefix: "fleetota-dev", bucketName: "fleetota-dev-dashboard", webBuildDir: "dist/web", priceClass: "PriceClass_100", forceDestroy: true, webAclArn: access.webAclArn, logBucketDomainName: logs.bucketDomainName });
 * site.url // https://dxxxx.cloudfront.net
 */
export class DashboardSite extends Construct {
  readonly bucketName: string;
  readonly bucketArn: string;
  readonly distribution: CloudfrontDistribution;
  readonly url: string;
  readonly dataPrefix = DASHBOARD_DATA_PREFIX;
  readonly objects: S3Object[] = [];

  constructor(scope: Construct, id: string, props: DashboardSiteProps) {
    super(scope, id);
    const site = new SecureBucket(this, "bucket", {
      bucketName: props.bucketName,
      logicalId: "dashboard",
      forceDestroy: props.forceDestroy,
    });
    this.bucketName = site.bucketName;
    this.bucketArn = site.bucketArn;
    // The site's objects are replaced on each deploy and publish; only half-finished uploads could linger.
    named(
      new S3BucketLifecycleConfiguration(this, "lifecycle", {
        bucket: site.bucket.id,
        rule: [{ id: "abort-incomplete-uploads", status: "Enabled", filter: [{ prefix: "" }], abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }] }],
      }),
      "dashboard_lifecycle",
    );

    const originAccess = named(
      new CloudfrontOriginAccessControl(this, "origin-access", {
        name: `${props.namePrefix}-dashboard`,
        description: "CloudFront reads the FleetOTA dashboard bucket",
        originAccessControlOriginType: "s3",
        signingBehavior: "always",
        signingProtocol: "sigv4",
      }),
      "dashboard_origin_access",
    );
    const headers = named(
      new CloudfrontResponseHeadersPolicy(this, "headers", {
        name: `${props.namePrefix}-dashboard-security-headers`,
        comment: "FleetOTA dashboard: CSP, HSTS, nosniff, frame options, referrer policy",
        securityHeadersConfig: {
          contentSecurityPolicy: { contentSecurityPolicy: DASHBOARD_CONTENT_SECURITY_POLICY, override: true },
          // `preload` only states consent; a domain joins browsers' preload lists when its owner submits it.
          strictTransportSecurity: { accessControlMaxAgeSec: DASHBOARD_HSTS_MAX_AGE_SECONDS, includeSubdomains: true, preload: true, override: true },
          contentTypeOptions: { override: true },
          frameOptions: { frameOption: "DENY", override: true },
          referrerPolicy: { referrerPolicy: "no-referrer", override: true },
        },
      }),
      "dashboard_security_headers",
    );
    const originId = "dashboard-bucket";
    const behaviour = {
      targetOriginId: originId,
      viewerProtocolPolicy: "redirect-to-https",
      allowedMethods: ["GET", "HEAD"],
      cachedMethods: ["GET", "HEAD"],
      compress: true,
      responseHeadersPolicyId: headers.id,
    };
    this.distribution = named(
      new CloudfrontDistribution(this, "distribution", {
        comment: `${props.namePrefix} fleet dashboard`,
        enabled: true,
        defaultRootObject: "index.html",
        httpVersion: "http2and3",
        priceClass: props.priceClass,
        origin: [{ originId, domainName: site.bucket.bucketRegionalDomainName, originAccessControlId: originAccess.id }],
        defaultCacheBehavior: { ...behaviour, cachePolicyId: MANAGED_CACHE_POLICY.cachingOptimized },
        orderedCacheBehavior: [
          { ...behaviour, pathPattern: `${DASHBOARD_DATA_PREFIX}*`, cachePolicyId: MANAGED_CACHE_POLICY.cachingDisabled },
        ],
        restrictions: { geoRestriction: { restrictionType: "none" } },
        webAclId: props.webAclArn,
        loggingConfig: { bucket: props.logBucketDomainName, prefix: ACCESS_LOG_PREFIX.cloudfront, includeCookies: false },
        ...(props.domain
          ? {
              aliases: [props.domain.name],
              viewerCertificate: { acmCertificateArn: props.domain.certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: DASHBOARD_MINIMUM_TLS },
            }
          : { viewerCertificate: { cloudfrontDefaultCertificate: true } }),
      }),
      "dashboard_distribution",
    );
    this.url = props.domain ? `https://${props.domain.name}` : `https://${this.distribution.domainName}`;

    site.addToResourcePolicy({
      Sid: "AllowCloudFrontRead",
      Effect: "Allow",
      Principal: { Service: "cloudfront.amazonaws.com" },
      Action: "s3:GetObject",
      Resource: `${this.bucketArn}/*`,
      Condition: { StringEquals: { "AWS:SourceArn": this.distribution.arn } },
    });

    this.uploadWebBuild(site, props.webBuildDir);
  }

  private uploadWebBuild(site: SecureBucket, webBuildDir: string): void {
    if (!existsSync(webBuildDir)) return;
    const files = filesUnder(webBuildDir);
    if (files.length === 0) return;
    const asset = new TerraformAsset(this, "web-build", { path: webBuildDir, type: AssetType.DIRECTORY });
    for (const file of files) {
      const key = relative(webBuildDir, file).split(sep).join("/");
      if (key.startsWith(DASHBOARD_DATA_PREFIX)) continue; // the publisher owns data/
      this.objects.push(
        named(
          new S3Object(this, `web-${key}`, {
            bucket: site.bucket.id,
            key,
            source: `${asset.path}/${key}`,
            sourceHash: createHash("md5").update(readFileSync(file)).digest("hex"),
            contentType: contentTypeFor(key),
            cacheControl: key === "index.html" ? "no-cache" : "public, max-age=300",
          }),
          `dashboard_web_${snake(key)}`,
        ),
      );
    }
  }
}
