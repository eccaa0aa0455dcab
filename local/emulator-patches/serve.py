"""Starts moto's server with the local cloud's DynamoDB compensations applied.

moto 5.2.1's TransactWriteItems deep-copies every table a transaction touches (once per item) so it
can roll back, which makes each transaction slower as the table grows (16 ms empty, ~240 ms at 2,000
items), and its Flask threads mutate tables without a lock. Here:
  * a transaction backs up only the items it touches and restores those on rollback;
  * DynamoDB writes and transactions run under one lock, so concurrent writers are isolated.
Hot spots are made cheap without changing behaviour:
  * SQS reads the clock through datetime arithmetic once per message per check (visible? delayed?);
    here the clock is time.time();
  * SQS GetQueueAttributes computed every attribute (three passes over all messages) three times per
    name asked, and ReceiveMessage did that once per message returned (to read the retention period);
    here the attributes are computed once per call and the retention period is read directly;
  * every request listed moto's package directory (listdir + isdir of ~150 entries) to route it; the
    list is read once.
Gaps are filled:
  * SQS stored a queue's RedriveAllowPolicy (SetQueueAttributes) but never returned it from
    GetQueueAttributes (asking for it by name was even an InvalidAttributeName), so Terraform's
    aws_sqs_queue_redrive_allow_policy waited forever for it; here it is a queue attribute like
    RedrivePolicy: returned when set, absent when unset or set to "".
  * SQS SetQueueAttributes without a Policy erased the queue's policy (AWS changes only what is given), so
    Terraform's queue policy and redrive-allow policy on the same DLQ, applied in parallel, left the policy
    or not depending on their order; here an attribute not given is kept.
  * S3 stored and acted on a bucket's EventBridge notification setting but GetBucketNotificationConfiguration
    left it out, so nothing (Terraform's state included) could read it back; here it is returned.
  * AWS IoT had no TagResource, UntagResource or ListTagsForResource, and dropped the tags given to
    CreateRoleAlias, CreatePolicy and CreateThingType, so Terraform (which reads a resource's tags back after creating it)
    retried ListTagsForResource until it gave up; here IoT tags are kept by ARN.
  * CloudFront had no response headers policies (CreateResponseHeadersPolicy was a 404), so Terraform could
    not create the dashboard's security headers; here they are kept per account (create, get, get config,
    update and delete with If-Match, list), as CloudFront answers them.
  * S3 PutBucketLogging accepted a target bucket's policy only if its Resource was exactly the target
    prefix followed by `*` (or the whole bucket); the access-log bucket allows `s3/*` for every source's
    `s3/<bucket>/` prefix, which AWS accepts, and moto answered 400 (and 500 when the policy also held a
    statement with Principal "*"). Here a statement whose Resource is a wildcard covering the prefix counts
    too (the Service principal, Allow and s3:PutObject still must match); other statements are skipped.
  * Lambda dropped a function's LoggingConfig (log format and group), so Terraform planned to set it again
    after every apply; here it is kept and returned (JSON format with AWS's default INFO log levels).
  * Lambda answered a repeated CreateFunction with 409 ResourceConflictException even when it repeated, byte for
    byte, the request that created the function (a retry of a create whose answer was lost); the Terraform
    provider retries that 409 for 5 minutes and then fails the apply. Here the identical repeat (the same request
    body, the function's code, configuration and tags not changed since, no Publish) is answered 201 with the
    function as created, like the lost first answer; any other CreateFunction for an existing name is still 409.
  * S3 evaluated bucket policies without their conditions, so a conditional Deny (the stack's TLS-only Deny
    for every principal) denied every object request once the policy was put as written (as Terraform puts
    it); here a Deny with a Condition is not applied (on AWS the TLS-only Deny matches no HTTPS request; here
    everything is plain HTTP on loopback), but for one whose Condition is only `Null` on s3:if-none-match /
    s3:if-match / s3:x-amz-copy-source, or `StringNotEquals` on them (the data lake's write-once Denys), or
    `StringEquals` on s3:object-lock-mode / `NumericGreaterThan` on s3:object-lock-remaining-retention-days (its
    retention bounds), or `Null` / `StringNotEquals` on s3:x-amz-storage-class /
    s3:x-amz-server-side-encryption-customer-algorithm (telemetry only in STANDARD, without SSE-C): those are evaluated against the object request's If-None-Match / If-Match /
    x-amz-copy-source / x-amz-object-lock-* / x-amz-storage-class / x-amz-server-side-encryption-customer-algorithm
    headers (a PutObjectRetention's or PutObjectLegalHold's body) and applied
    when they hold, as on AWS (so only `If-None-Match: *` creates, a copy is refused there, and no object is locked in
    compliance mode, past a published version's retention or under a hold the policy refuses); a PutObjectRetention
    and a PutObjectLegalHold are checked as s3:PutObjectRetention / s3:PutObjectLegalHold without s3:if-none-match /
    s3:if-match (moto checked both as s3:PutObject, so `If-None-Match: *` let a retention change pass the write-once
    Denys); and a DELETE naming a versionId is
    checked as s3:DeleteObjectVersion (moto checked s3:DeleteObject for both, so a Deny of delete markers also
    refused deleting a named version); a request carrying `x-amz-bypass-governance-retention: true` (DeleteObject
    of a version, DeleteObjects) is also checked as s3:BypassGovernanceRetention, as on AWS (moto honoured the
    header whatever the policy said); a bucket policy's denial is answered AccessDenied (moto sent a bare 403).
    The upload paths AWS authorizes as s3:PutObject are checked so too: a multipart upload's POSTs (moto checked
    s3:PostObject, which no Deny names) and a form POST to the bucket (moto checked no bucket policy), on its `key`
    field; a CreateMultipartUpload, an UploadPart and an UploadPartCopy are evaluated without s3:if-none-match /
    s3:if-match whatever they send (AWS never sets those keys on them), a CompleteMultipartUpload with its own
    If-None-Match, a form POST without any; and a request naming an upload id under another key than the upload's
    is NoSuchUpload, as on AWS (moto wrote the parts and the object to the upload's key, whatever the URL said).
  * S3 Object Lock: a PutObjectRetention replaced a version's retention whatever it held; here, as on AWS, an
    unexpired governance retention is shortened, removed or changed in mode only with the bypass header (checked as
    s3:BypassGovernanceRetention above) and a compliance one only extended (AccessDenied). Lock fields AWS refuses
    are a 400 (a mode other than GOVERNANCE / COMPLIANCE, a mode without a date or a date without a mode, a date
    not ISO 8601 with a time zone, a hold status other than ON / OFF: InvalidArgument in headers, MalformedXML in a
    body), where moto stored them (a lower-case mode locked nothing; a date it could not read back made every later
    delete of that version fail 500); a valid date is stored in the form moto reads back.
  * ...and S3 access logs are not delivered: moto wrote one object into the target bucket on every request to
    a logged bucket (the data lake takes every telemetry upload and read), which only grew the emulator.
AWS IoT, for the vehicles' and fleet gateways' things and certificates:
  * CreateThing for a name that exists replaced the thing (attributes and thing type overwritten, no
    error); as on AWS, the same configuration again is answered with the existing thing and a different
    one is ResourceAlreadyExistsException;
  * a thing held any number of attributes; on AWS a thing without a thing type holds at most 3 and one with a
    type at most 50 (AWS IoT Developer Guide, "Thing types"): here CreateThing and UpdateThing that would leave a
    thing with more (counted after an UpdateThing's merge, its removals and its type change) are refused with
    InvalidRequestException (400), and nothing changes;
  * a certificate's id is the SHA-256 of its DER encoding, as on AWS (moto hashes the PEM text by default);
  * CreateCertificateFromCsr issues the certificate for the CSR's public key (moto signs a fresh key pair
    of its own, so the vehicle could never use the certificate), signed by an emulator CA key made at start.
Which SQS operation a request asks for:
  * moto took the operation from an `Action` parameter before the JSON protocol's X-Amz-Target: from the query
    string, from the body read as a query string, or from the headers when neither held a parameter, so a SendMessage
    whose message body held `&Action=PurgeQueue&` (text a vehicle can put in a report the telemetry processor
    forwards) purged the queue, and `DeleteQueue` deleted it. Here a request in the JSON protocol (a JSON content
    type and an X-Amz-Target) does the operation its target names, as on AWS; the query protocol is read as before.
Who sent an SQS message:
  * moto gives every message the same SenderId (AIDAIT2UOQQY3AUEKVGXU, what AWS shows for an SNS delivery),
    whoever sent it; AWS gives the sender's principal (a role's unique id, then `:` and the session name). Here a
    message a local function sends (access key `fleetota-fn-<function>`, local/identity/local-principals.ts) has the
    SenderId `<its role's local unique id>:<function>`, the role's id being the one local/apply gives the skipped
    `aws_iam_role` `<function>-role` (localRoleUniqueId); other senders keep moto's constant.
The development server (werkzeug) under moto:
  * when a request ended in a connection error (ConnectionError or a socket timeout, raised while answering it, by
    the client's socket or from inside the handler) it sent no answer and kept the connection open waiting for the
    client's next request, while the client still waited for this answer: for ever with the AWS SDK for Go, which
    sets no response timeout (with such an error injected after a function was stored, Terraform's CreateFunction
    waited 5.5 minutes and then failed on 409). Here such a request closes the connection, so the client sees it
    end and can retry; the error is logged.
Everything else is moto unchanged. Usage: python serve.py -H 127.0.0.1 -p 5000
"""
import copy
import datetime
import hashlib
import json
import re
import threading
import time
import urllib.parse

import moto.awslambda.exceptions
import moto.awslambda.models
import moto.awslambda.responses
import moto.backends
import moto.cloudfront.models
import moto.core.exceptions
import moto.core.responses
import moto.moto_api._internal
import moto.cloudfront.responses
import moto.cloudfront.urls
import moto.core.utils
import moto.iot.responses
import moto.s3.exceptions
import moto.s3.models
import moto.s3.responses
import moto.sqs.models
import moto.sqs.responses
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.server import main as moto_main
from moto.utilities.constants import JSON_TYPES
import moto.settings
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from moto.iot.exceptions import InvalidRequestException, ResourceAlreadyExistsException
from moto.iot.models import IoTBackend
import werkzeug.serving
import xmltodict

_backend_lock = threading.RLock()
_transaction = threading.local()


def _table_deepcopy(self, memo):
    """Inside a patched transaction the whole-table backup is skipped (items are backed up instead)."""
    if getattr(_transaction, "active", False):
        return self
    clone = self.__class__.__new__(self.__class__)
    memo[id(self)] = clone
    for name, value in self.__dict__.items():
        setattr(clone, name, copy.deepcopy(value, memo))
    return clone


def _key_of(backend, operation_type, operation):
    if operation_type != "Put":
        return operation["Key"]
    table = backend.get_table(operation["TableName"])
    item = operation["Item"]
    key = {table.hash_key_attr: item[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = item[table.range_key_attr]
    return key


_original_transact_write_items = DynamoDBBackend.transact_write_items


def _transact_write_items(self, transact_items):
    with _backend_lock:
        touched = []
        for entry in transact_items:
            operation_type, operation = next(iter(entry.items()))
            if operation_type == "ConditionCheck" or operation.get("TableName") not in self.tables:
                continue
            key = _key_of(self, operation_type, operation)
            before = self.get_item(operation["TableName"], key)
            touched.append((operation["TableName"], key, copy.deepcopy(before) if before else None))
        _transaction.active = True
        try:
            return _original_transact_write_items(self, transact_items)
        except Exception:
            for table_name, key, before in reversed(touched):
                if before is None:
                    try:
                        self.delete_item(table_name, key)
                    except Exception:  # the item was never written
                        pass
                else:
                    self.get_table(table_name).put_item(before.to_json()["Attributes"])
            raise
        finally:
            _transaction.active = False


def _serialised(method):
    def locked(self, *args, **kwargs):
        with _backend_lock:
            return method(self, *args, **kwargs)

    locked.__name__ = method.__name__
    return locked


def _fast_unix_time(dt=None):
    return time.time() if dt is None else _original_unix_time(dt)


def _fast_unix_time_millis(dt=None):
    return time.time() * 1000.0 if dt is None else _original_unix_time(dt) * 1000.0


def _get_queue_attributes(self, queue_name, attribute_names):
    queue = self.get_queue(queue_name)
    valid_names = {"All", *queue.BASE_ATTRIBUTES, *queue.FIFO_ATTRIBUTES, *queue.KMS_ATTRIBUTES}
    if not attribute_names or "All" in attribute_names or any(name not in valid_names for name in attribute_names):
        return _original_get_queue_attributes(self, queue_name, attribute_names)  # incl. its errors
    current = queue.attributes
    return {name: current[name] for name in attribute_names if current.get(name) is not None}


def _set_queue_attributes(self, queue_name, attributes):
    queue = self.get_queue(queue_name)
    kept = queue.policy
    _original_set_queue_attributes(self, queue_name, attributes)
    if "Policy" not in attributes:
        queue.policy = kept
    return queue


def _is_message_retained(self, queue_name, message):
    retention_seconds = int(self.get_queue(queue_name).message_retention_period)
    return retention_seconds + message.sent_timestamp / 1000 > time.time()


def _get_redrive_allow_policy(self):
    return getattr(self, "_redrive_allow_policy", None)


def _set_redrive_allow_policy(self, value):
    self._redrive_allow_policy = value if value not in (None, "") else None


def _get_bucket_notification(self):
    response = _original_get_bucket_notification(self)
    notification = self.backend.get_bucket_notification_configuration(self.bucket_name)
    if notification is None or getattr(notification, "event_bridge", None) is None:
        return response
    status, headers, body = response
    body = body.decode("utf-8") if isinstance(body, bytes) else body
    if "<EventBridgeConfiguration" in body:
        return response
    if body.rstrip().endswith("/>"):  # no configuration at all: an empty NotificationConfiguration element
        body = body.rstrip()[:-2] + "><EventBridgeConfiguration></EventBridgeConfiguration></NotificationConfiguration>"
    else:
        body = body.replace("</NotificationConfiguration>", "<EventBridgeConfiguration></EventBridgeConfiguration></NotificationConfiguration>")
    headers = {key: value for key, value in dict(headers).items() if key.lower() != "content-length"}
    return status, headers, body


_iot_tags = {}  # resource ARN -> {key: value}


def _iot_list_tags_for_resource(self):
    tags = _iot_tags.get(self._get_param("resourceArn"), {})
    return moto.iot.responses.ActionResult({"tags": [{"Key": key, "Value": value} for key, value in tags.items()]})


def _iot_tag_resource(self):
    tags = _iot_tags.setdefault(self._get_param("resourceArn"), {})
    tags.update({tag["Key"]: tag.get("Value", "") for tag in self._get_param("tags") or []})
    return moto.iot.responses.EmptyResult()


def _iot_untag_resource(self):
    tags = _iot_tags.get(self._get_param("resourceArn"), {})
    for key in self._get_param("tagKeys") or []:
        tags.pop(key, None)
    return moto.iot.responses.EmptyResult()


def _iot_keeping_creation_tags(create, arn_of):
    def created(self):
        response = create(self)
        tags = self._get_param("tags") or []
        if tags:
            _iot_tags.setdefault(arn_of(self), {}).update({tag["Key"]: tag.get("Value", "") for tag in tags})
        return response

    created.__name__ = create.__name__
    return created


class _NoSuchResponseHeadersPolicy(moto.core.exceptions.ServiceException):
    code = "NoSuchResponseHeadersPolicy"
    message = "The response headers policy does not exist."


class _ResponseHeadersPolicyAlreadyExists(moto.core.exceptions.ServiceException):
    code = "ResponseHeadersPolicyAlreadyExists"
    message = "A response headers policy with this name already exists."


class _PreconditionFailed(moto.core.exceptions.ServiceException):
    code = "PreconditionFailed"
    message = "The If-Match version does not match the response headers policy's ETag."


def _response_headers_policies(response):
    """id -> {"policy": ResponseHeadersPolicy, "etag": ...}, one store per account (CloudFront is global)."""
    backend = response.backend
    if not hasattr(backend, "_fleetota_response_headers_policies"):
        backend._fleetota_response_headers_policies = {}
    return backend._fleetota_response_headers_policies


def _response_headers_policy(response):
    entry = _response_headers_policies(response).get(response._get_param("Id"))
    if entry is None:
        raise _NoSuchResponseHeadersPolicy()
    return entry


def _matching(response, entry):
    if response._get_param("IfMatch") != entry["etag"]:
        raise _PreconditionFailed()
    return entry


def _stored_response_headers_policy(response, policy_id, config):
    policies = _response_headers_policies(response)
    name = config.get("Name")
    if any(other_id != policy_id and entry["policy"]["ResponseHeadersPolicyConfig"].get("Name") == name for other_id, entry in policies.items()):
        raise _ResponseHeadersPolicyAlreadyExists()
    entry = {"policy": {"Id": policy_id, "LastModifiedTime": moto.core.utils.utcnow(), "ResponseHeadersPolicyConfig": config}, "etag": moto.cloudfront.models.random_id()}
    policies[policy_id] = entry
    return entry


def _create_response_headers_policy(self):
    policy_id = str(moto.moto_api._internal.mock_random.uuid4())
    entry = _stored_response_headers_policy(self, policy_id, self._get_param("ResponseHeadersPolicyConfig", {}))
    location = f"https://cloudfront.amazonaws.com/2020-05-31/response-headers-policy/{policy_id}"
    return moto.core.responses.ActionResult({"ResponseHeadersPolicy": entry["policy"], "ETag": entry["etag"], "Location": location})


def _get_response_headers_policy(self):
    entry = _response_headers_policy(self)
    return moto.core.responses.ActionResult({"ResponseHeadersPolicy": entry["policy"], "ETag": entry["etag"]})


def _get_response_headers_policy_config(self):
    entry = _response_headers_policy(self)
    return moto.core.responses.ActionResult({"ResponseHeadersPolicyConfig": entry["policy"]["ResponseHeadersPolicyConfig"], "ETag": entry["etag"]})


def _update_response_headers_policy(self):
    _matching(self, _response_headers_policy(self))
    entry = _stored_response_headers_policy(self, self._get_param("Id"), self._get_param("ResponseHeadersPolicyConfig", {}))
    return moto.core.responses.ActionResult({"ResponseHeadersPolicy": entry["policy"], "ETag": entry["etag"]})


def _delete_response_headers_policy(self):
    _matching(self, _response_headers_policy(self))
    del _response_headers_policies(self)[self._get_param("Id")]
    return moto.core.responses.EmptyResult()


def _list_response_headers_policies(self):
    items = [{"Type": "custom", "ResponseHeadersPolicy": entry["policy"]} for entry in _response_headers_policies(self).values()]
    return moto.core.responses.ActionResult({"ResponseHeadersPolicyList": {"MaxItems": 100, "Quantity": len(items), "Items": items}})


_object_request = threading.local()

_ACCESS_DENIED = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'
# Condition keys a bucket policy may test that are read from the object request's own headers.
_HEADER_CONDITION_KEYS = {
    "s3:if-none-match": "if-none-match",
    "s3:if-match": "if-match",
    "s3:x-amz-copy-source": "x-amz-copy-source",
    "s3:object-lock-mode": "x-amz-object-lock-mode",
    "s3:object-lock-remaining-retention-days": "x-amz-object-lock-retain-until-date",
    "s3:object-lock-legal-hold": "x-amz-object-lock-legal-hold",
    "s3:object-lock-event-hold": "x-amz-object-lock-event-hold",
    "s3:object-lock-event-hold-duration-days": "x-amz-object-lock-event-hold-duration-days",
    "s3:x-amz-storage-class": "x-amz-storage-class",
    "s3:x-amz-server-side-encryption-customer-algorithm": "x-amz-server-side-encryption-customer-algorithm",
}
# Condition operators evaluated on those keys (as IAM: StringNotEquals matches an absent key too, the others do not).
_HEADER_CONDITION_OPERATORS = ("Null", "StringNotEquals", "StringEquals", "NumericGreaterThan")
# The object sub-resources AWS authorizes as their own action, which moto checks as s3:PutObject.
_OBJECT_LOCK_ACTIONS = {"retention": "s3:PutObjectRetention", "legal-hold": "s3:PutObjectLegalHold"}
_LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
_HOLD_STATUSES = ("ON", "OFF")


class _LockRequestError(Exception):
    """An Object Lock field AWS would refuse (400), with AWS's code for where it was sent."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def _lock_request_refusal(error):
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{error.code}</Code><Message>{error}</Message></Error>'
    return 400, {"Content-Type": "application/xml"}, body


def _object_lock_action(request, query):
    """"retention" for a PutObjectRetention (PUT ?retention), "legal-hold" for a PutObjectLegalHold, else None."""
    if request.method != "PUT":
        return None
    return next((name for name in _OBJECT_LOCK_ACTIONS if name in query), None)


def _parsed_retain_until(value):
    """A retain-until date as an aware datetime; _LockRequestError when it is not ISO 8601 with a time zone (moto
    stored any text, then failed 500 reading it on every delete of that version)."""
    try:
        until = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        until = None
    if until is None or until.tzinfo is None:
        raise _LockRequestError("InvalidArgument", "The retain until date must be an ISO 8601 date and time with a time zone")
    return until


def _moto_retain_until(value):
    """The retain-until date in the one form moto reads back (UTC, milliseconds, Z)."""
    until = _parsed_retain_until(value).astimezone(datetime.timezone.utc)
    return f"{until:%Y-%m-%dT%H:%M:%S}.{until.microsecond // 1000:03d}Z"


def _lock_body(request, root):
    """The XML body of a PutObjectRetention / PutObjectLegalHold as a dict (empty for an empty element)."""
    try:
        parsed = xmltodict.parse(request.data or f"<{root}/>".encode())
    except Exception as error:
        raise _LockRequestError("MalformedXML", "The XML you provided was not well-formed") from error
    if not isinstance(parsed, dict) or root not in parsed:
        raise _LockRequestError("MalformedXML", "The XML you provided was not well-formed")
    return parsed[root] or {}


def _checked_lock(mode, until, hold, code):
    """Refuses (code) what AWS refuses: a mode other than GOVERNANCE / COMPLIANCE (moto took `compliance` and locked
    nothing), a mode without a date or a date without a mode, a date without a time zone, a hold status other than
    ON / OFF."""
    if mode is not None and mode not in _LOCK_MODES:
        raise _LockRequestError(code, "Unknown Object Lock retention mode")
    if (mode is None) != (until is None):
        raise _LockRequestError(code, "The retain until date and the retention mode must both be given")
    if until is not None:
        try:
            _parsed_retain_until(until)
        except _LockRequestError as error:
            raise _LockRequestError(code, str(error)) from error
    if hold is not None and hold not in _HOLD_STATUSES:
        raise _LockRequestError(code, "Unknown Object Lock hold status")


def _lock_headers(request, query, headers):
    """The object request's Object Lock fields as the x-amz-object-lock-* headers a PutObject carries, for the same
    condition keys: a PutObjectRetention's and a PutObjectLegalHold's come from their body (mode, date, event hold and
    its duration in days; legal hold status). Refuses (_LockRequestError) what AWS would refuse."""
    sub_resource = _object_lock_action(request, query)
    if sub_resource is None:
        names = ("x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold")
        mode, until, hold = (headers.get(name) for name in names)
        _checked_lock(mode, until, hold, "InvalidArgument")
        years = headers.get("x-amz-object-lock-event-hold-duration-years")
        if years is not None and "x-amz-object-lock-event-hold-duration-days" not in headers:
            return {"x-amz-object-lock-event-hold-duration-days": str(int(years) * 365) if years.isdigit() else "0"}
        return {}
    if sub_resource == "legal-hold":
        status = _lock_body(request, "LegalHold").get("Status")
        _checked_lock(None, None, status if status is not None else "", "MalformedXML")
        return {"x-amz-object-lock-legal-hold": status}
    retention = _lock_body(request, "Retention")
    _checked_lock(retention.get("Mode"), retention.get("RetainUntilDate"), retention.get("EventHold"), "MalformedXML")
    days = None
    if "EventHoldDuration" in retention:  # any duration, even empty or malformed, is present for the Deny's Null test
        duration = retention["EventHoldDuration"] if isinstance(retention["EventHoldDuration"], dict) else {}
        years = str(duration.get("Years", ""))
        days = duration.get("Days") or (int(years) * 365 if years.isdigit() else 0)
    found = {
        "x-amz-object-lock-mode": retention.get("Mode"),
        "x-amz-object-lock-retain-until-date": retention.get("RetainUntilDate"),
        "x-amz-object-lock-event-hold": retention.get("EventHold"),
        "x-amz-object-lock-event-hold-duration-days": None if days is None else str(days),
    }
    return {name: value for name, value in found.items() if value is not None}


def _remaining_retention_days(retain_until):
    """s3:object-lock-remaining-retention-days for a retain-until date (whole days from now, rounded up); None for one
    that is not a date (refused before on the object requests that set it; other requests are not locking)."""
    try:
        until = _parsed_retain_until(retain_until)
    except _LockRequestError:
        return None
    seconds = (until - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    return max(0, -(-int(seconds) // 86_400))


def _retention_change_refused(key, mode, until, bypass):
    """True when AWS's Object Lock refuses this PutObjectRetention on a version (moto replaced any retention): under
    an unexpired retention only an extension in the same mode is free; anything else (a shorter or no date, another
    mode) needs governance mode and the bypass (`x-amz-bypass-governance-retention: true`, the policy having allowed
    s3:BypassGovernanceRetention), and is never allowed on compliance."""
    if key.lock_mode not in _LOCK_MODES or not key.lock_until:
        return False
    try:
        current = _parsed_retain_until(key.lock_until)
    except _LockRequestError:
        current = datetime.datetime.max.replace(tzinfo=datetime.timezone.utc)  # unreadable: treated as retained
    if current <= datetime.datetime.now(datetime.timezone.utc):
        return False
    if mode == key.lock_mode and until is not None and _parsed_retain_until(until) >= current:
        return False
    return key.lock_mode == "COMPLIANCE" or not bypass


def _put_object_retention(self):
    try:
        key = self.backend.get_object(self.bucket_name, self.parse_key_name(), version_id=self._get_param("versionId"))
    except moto.s3.exceptions.S3ClientError:
        key = None  # moto answers as before
    if key is not None:
        mode, until = self._mode_until_from_body()
        bypass = self.headers.get("x-amz-bypass-governance-retention", "").lower() == "true"
        if _retention_change_refused(key, mode, until, bypass):
            return 403, {"Content-Type": "application/xml"}, _ACCESS_DENIED
    return _original_put_object_retention(self)


def _mode_until_from_body(self):
    """A PutObjectRetention's mode and date (checked by _key_response), the date in the form moto reads back; an empty
    <Retention/> is no retention (moto failed 500 on it)."""
    retention = (xmltodict.parse(self.body) or {}).get("Retention") or {}
    until = retention.get("RetainUntilDate")
    return retention.get("Mode"), None if until is None else _moto_retain_until(until)


def _get_lock_details(self, bucket, lock_enabled):
    """A PutObject's / CopyObject's / CreateMultipartUpload's lock headers, the date in the form moto reads back."""
    legal_hold, lock_mode, lock_until = _original_get_lock_details(self, bucket, lock_enabled)
    if lock_until is not None and self.headers.get("x-amz-object-lock-retain-until-date") is not None:
        lock_until = _moto_retain_until(lock_until)
    return legal_hold, lock_mode, lock_until


def _multipart_write(request, query):
    """"create" for a CreateMultipartUpload (POST ?uploads) and an UploadPart / UploadPartCopy (PUT ?uploadId&partNumber),
    "complete" for a CompleteMultipartUpload (POST ?uploadId), None for any other request."""
    if request.method == "POST" and "uploads" in query:
        return "create"
    if request.method == "PUT" and query.get("uploadId") and query.get("partNumber"):
        return "create"
    if request.method == "POST" and "uploadId" in query:
        return "complete"
    return None


def _key_response(self, request, full_url):
    query = urllib.parse.parse_qs(urllib.parse.urlparse(full_url).query, keep_blank_values=True)
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        headers = {**headers, **_lock_headers(request, query, headers)}
    except _LockRequestError as error:
        return _lock_request_refusal(error)
    multipart = _multipart_write(request, query)
    lock_action = _object_lock_action(request, query)
    if multipart == "create" or lock_action is not None:
        # AWS: these requests never carry s3:if-none-match / s3:if-match, whatever headers they send.
        headers = {name: value for name, value in headers.items() if name not in ("if-none-match", "if-match")}
    _object_request.headers = headers
    _object_request.lock_action = None if lock_action is None else _OBJECT_LOCK_ACTIONS[lock_action]
    _object_request.version_id = "versionId" in query
    _object_request.multipart_post = multipart is not None and request.method == "POST"
    try:
        upload = _upload_of(self, query)
        if upload is not None and upload.key_name != self.parse_key_name():
            # AWS binds an upload id to its key; moto wrote the parts and the object to the upload's key, whatever the URL's.
            raise moto.s3.exceptions.NoSuchUpload(upload_id=upload.id)
        response = _original_key_response(self, request, full_url)
        if isinstance(response, tuple) and response[0] == 403 and not response[2]:
            # moto's bucket-policy denial is a bare 403 (the SDK names it "Unknown"); AWS answers AccessDenied.
            return 403, {"Content-Type": "application/xml"}, _ACCESS_DENIED
        return response
    finally:
        _object_request.headers = None
        _object_request.version_id = False
        _object_request.multipart_post = False
        _object_request.lock_action = None


def _upload_of(response, query):
    """The multipart upload a request's uploadId names, None if none does (moto then answers as before)."""
    upload_id = (query.get("uploadId") or [""])[0]
    if not upload_id:
        return None
    try:
        bucket = response.backend.get_bucket(response.bucket_name)
    except moto.s3.exceptions.S3ClientError:
        return None
    return bucket.multiparts.get(upload_id)


def _bucket_post(self, request, bucket_name):
    """A form POST upload (to the bucket, its key a form field): AWS authorizes it as s3:PutObject on that key, and it
    carries no s3:if-none-match; moto evaluated no bucket policy on it."""
    self.path = self._get_path(request)
    key = (self.querystring.get("key") or [None])[0]
    if request.headers.get("Content-Length") and not self.is_delete_keys() and key is not None:
        from moto.iam.access_control import PermissionResult

        bucket = self.backend.get_bucket(bucket_name)
        _object_request.headers = {}
        try:
            denied = bucket.get_permission("s3:PutObject", f"arn:{bucket.partition}:s3:::{bucket_name}/{key}") == PermissionResult.DENIED
        finally:
            _object_request.headers = None
        if denied:
            return 403, {"Content-Type": "application/xml"}, _ACCESS_DENIED
    return _original_bucket_post(self, request, bucket_name)


def _header_condition_holds(condition):
    """True/False for a Condition made only of `Null` / `StringNotEquals` / `StringEquals` / `NumericGreaterThan`
    tests on s3:if-none-match, s3:if-match, s3:x-amz-copy-source (the write-once Denys), s3:object-lock-mode and
    s3:object-lock-remaining-retention-days (the retention bounds), s3:x-amz-storage-class and
    s3:x-amz-server-side-encryption-customer-algorithm (the telemetry Denys), read from the object request being
    answered; None for any other condition (not evaluated here)."""
    headers = getattr(_object_request, "headers", None)
    if headers is None or not condition or any(operator not in _HEADER_CONDITION_OPERATORS for operator in condition):
        return None
    if any(not tests or any(key.lower() not in _HEADER_CONDITION_KEYS for key in tests) for tests in condition.values()):
        return None

    def holds(operator, key, value):
        header = headers.get(_HEADER_CONDITION_KEYS[key.lower()])
        if header is not None and key.lower() == "s3:object-lock-remaining-retention-days":
            header = _remaining_retention_days(header)
        values = [value] if isinstance(value, str) else value
        if operator == "Null":
            return (header is None) == (str(value).lower() == "true")
        if operator == "StringNotEquals":
            return header is None or header not in values
        if header is None:
            return False
        if operator == "StringEquals":
            return header in values
        return any(header > float(limit) for limit in values)

    return all(holds(operator, key, value) for operator, tests in condition.items() for key, value in tests.items())


def _bucket_permission(self, action, resource):
    from moto.iam.access_control import PermissionResult

    if self.policy is None:
        return PermissionResult.NEUTRAL
    if action == "s3:DeleteObject" and getattr(_object_request, "version_id", False):
        action = "s3:DeleteObjectVersion"  # moto names both deletes s3:DeleteObject; AWS authorizes a named version's so
    if action == "s3:PostObject" and getattr(_object_request, "multipart_post", False):
        action = "s3:PutObject"  # moto names a multipart upload's POSTs s3:PostObject; AWS authorizes them as s3:PutObject
    if action == "s3:PutObject" and getattr(_object_request, "lock_action", None):
        action = _object_request.lock_action  # moto names PUT ?retention / ?legal-hold s3:PutObject
    policy = _effective_bucket_policy(self)
    headers = getattr(_object_request, "headers", None) or {}
    if headers.get("x-amz-bypass-governance-retention", "").lower() == "true":
        # AWS authorizes a request that asks to bypass governance retention as that action too (moto never checked it).
        bypass = policy.is_action_permitted("s3:BypassGovernanceRetention", resource)
        if bypass == PermissionResult.DENIED:
            return bypass
    return policy.is_action_permitted(action, resource)


def _effective_bucket_policy(self):
    """The bucket policy as serve.py evaluates it: conditional Denys left out, but for the If-None-Match / If-Match
    ones, which hold or not for the request being answered."""
    from moto.iam.access_control import IAMPolicy

    document = json.loads(self.policy.decode())
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    applicable = []
    for statement in statements:
        if not (statement.get("Effect") == "Deny" and statement.get("Condition")):
            applicable.append(statement)
        elif _header_condition_holds(statement["Condition"]):
            applicable.append({name: value for name, value in statement.items() if name != "Condition"})
    return IAMPolicy(json.dumps({**document, "Statement": applicable}))


def _delete_keys(self, *args, **kwargs):
    """DeleteObjects: its bypass header is read by the per-object bucket-policy checks, as for one DeleteObject."""
    _object_request.headers = {name.lower(): value for name, value in self.headers.items()}
    try:
        return _original_delete_keys(self, *args, **kwargs)
    finally:
        _object_request.headers = None


def _with_aws_log_levels(logging_config):
    if not logging_config or logging_config.get("LogFormat") != "JSON":
        return logging_config
    return {"ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO", **logging_config}


def _create_request_digest(spec):
    """The CreateFunction request as sent (before moto adds its own keys to the Code block)."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def _lambda_init(self, account_id, spec, *args, **kwargs):
    digest = _create_request_digest(spec)
    _original_lambda_init(self, account_id, spec, *args, **kwargs)
    self._fleetota_logging_config = _with_aws_log_levels(spec.get("LoggingConfig"))
    self._fleetota_create_digest = None if spec.get("Publish") else digest


def _create_function(self):
    """An identical repeat of the CreateFunction that created the function gets the answer the first one got."""
    spec = self.json_body
    try:
        existing = self.backend.get_function(spec["FunctionName"].rsplit(":", 1)[-1], None)
    except moto.awslambda.exceptions.UnknownFunctionException:
        existing = None
    unchanged = existing is not None and existing.tags == (spec.get("Tags") or {})
    if unchanged and getattr(existing, "_fleetota_create_digest", None) == _create_request_digest(spec):
        return 201, {"status": 201}, json.dumps(existing.get_configuration(on_create=True))
    return _original_create_function(self)


def _changed_since_create(method):
    def changed(self, *args, **kwargs):
        self._fleetota_create_digest = None
        return method(self, *args, **kwargs)

    changed.__name__ = method.__name__
    return changed


def _lambda_configuration(self, *args, **kwargs):
    config = _original_lambda_configuration(self, *args, **kwargs)
    if getattr(self, "_fleetota_logging_config", None):
        config["LoggingConfig"] = self._fleetota_logging_config
    return config


def _lambda_update_configuration(self, config_updates):
    self._fleetota_create_digest = None
    if "LoggingConfig" in config_updates:
        self._fleetota_logging_config = _with_aws_log_levels(config_updates["LoggingConfig"])
    return _original_lambda_update_configuration(self, config_updates)


def _log_delivery_allowed_by_policy(target_bucket, target_prefix):
    """moto's check, but a Resource ending in `*` that covers the whole target prefix counts as well (and a
    statement whose Principal is "*", such as a TLS-only Deny, is skipped: moto's check crashed on it, a 500)."""
    if not target_bucket.policy:
        return False
    bucket_arn = f"arn:{target_bucket.partition}:s3:::{target_bucket.name}"
    delivered_to = f"{bucket_arn}/{target_prefix or ''}"
    for statement in json.loads(target_bucket.policy.decode()).get("Statement", []):
        principal = statement.get("Principal", {})
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        if not isinstance(principal, dict) or principal.get("Service") != moto.s3.models.LOGGING_SERVICE_PRINCIPAL:
            continue
        if statement.get("Effect") != "Allow" or "s3:PutObject" not in ([actions] if isinstance(actions, str) else actions):
            continue
        if any(resource == bucket_arn or (resource.endswith("*") and delivered_to.startswith(resource[:-1])) for resource in ([resources] if isinstance(resources, str) else resources)):
            return True
    return False


_original_get_bucket_notification = moto.s3.responses.S3Response.get_bucket_notification
_original_get_queue_attributes = moto.sqs.models.SQSBackend.get_queue_attributes
_original_set_queue_attributes = moto.sqs.models.SQSBackend.set_queue_attributes
_original_unix_time = moto.core.utils.unix_time
_moto_modules = tuple(moto.backends.list_of_moto_modules())

moto.s3.models.FakeBucket._log_permissions_enabled_policy = staticmethod(_log_delivery_allowed_by_policy)
moto.s3.models.S3Backend.log_incoming_request = lambda self, request, bucket_name: None
moto.s3.models.FakeBucket.get_permission = _bucket_permission
_original_key_response = moto.s3.responses.S3Response._key_response
moto.s3.responses.S3Response._key_response = _key_response
_original_delete_keys = moto.s3.responses.S3Response._bucket_response_delete_keys
moto.s3.responses.S3Response._bucket_response_delete_keys = _delete_keys
_original_bucket_post = moto.s3.responses.S3Response._bucket_response_post
moto.s3.responses.S3Response._bucket_response_post = _bucket_post
_original_put_object_retention = moto.s3.responses.S3Response.put_object_retention
moto.s3.responses.S3Response.put_object_retention = _put_object_retention
moto.s3.responses.S3Response._mode_until_from_body = _mode_until_from_body
_original_get_lock_details = moto.s3.responses.S3Response._get_lock_details
moto.s3.responses.S3Response._get_lock_details = _get_lock_details
_original_lambda_init = moto.awslambda.models.LambdaFunction.__init__
_original_lambda_configuration = moto.awslambda.models.LambdaFunction.get_configuration
_original_lambda_update_configuration = moto.awslambda.models.LambdaFunction.update_configuration
moto.awslambda.models.LambdaFunction.__init__ = _lambda_init
moto.awslambda.models.LambdaFunction.get_configuration = _lambda_configuration
moto.awslambda.models.LambdaFunction.update_configuration = _lambda_update_configuration
moto.awslambda.models.LambdaFunction.update_function_code = _changed_since_create(moto.awslambda.models.LambdaFunction.update_function_code)
_original_create_function = moto.awslambda.responses.LambdaResponse.create_function
moto.awslambda.responses.LambdaResponse.create_function = _create_function
moto.cloudfront.urls.url_paths["{0}/2020-05-31/response-headers-policy$"] = moto.cloudfront.responses.CloudFrontResponse.dispatch
moto.cloudfront.urls.url_paths["{0}/2020-05-31/response-headers-policy/(?P<policy_id>[^/]+)$"] = moto.cloudfront.responses.CloudFrontResponse.dispatch
moto.cloudfront.urls.url_paths["{0}/2020-05-31/response-headers-policy/(?P<policy_id>[^/]+)/config$"] = moto.cloudfront.responses.CloudFrontResponse.dispatch
for _name, _handler in {
    "create_response_headers_policy": _create_response_headers_policy,
    "get_response_headers_policy": _get_response_headers_policy,
    "get_response_headers_policy_config": _get_response_headers_policy_config,
    "update_response_headers_policy": _update_response_headers_policy,
    "delete_response_headers_policy": _delete_response_headers_policy,
    "list_response_headers_policies": _list_response_headers_policies,
}.items():
    setattr(moto.cloudfront.responses.CloudFrontResponse, _name, _handler)
Table.__deepcopy__ = _table_deepcopy
moto.sqs.models.unix_time = _fast_unix_time
moto.sqs.models.unix_time_millis = _fast_unix_time_millis
moto.backends.list_of_moto_modules = lambda: _moto_modules
moto.s3.responses.S3Response.get_bucket_notification = _get_bucket_notification
moto.iot.responses.IoTResponse.list_tags_for_resource = _iot_list_tags_for_resource
moto.iot.responses.IoTResponse.tag_resource = _iot_tag_resource
moto.iot.responses.IoTResponse.untag_resource = _iot_untag_resource
moto.iot.responses.IoTResponse.create_role_alias = _iot_keeping_creation_tags(
    moto.iot.responses.IoTResponse.create_role_alias,
    lambda response: response.iot_backend.role_aliases[response._get_param("roleAlias")].arn,
)
moto.iot.responses.IoTResponse.create_thing_type = _iot_keeping_creation_tags(
    moto.iot.responses.IoTResponse.create_thing_type,
    lambda response: next(t.arn for t in response.iot_backend.thing_types.values() if t.thing_type_name == response._get_param("thingTypeName")),
)
moto.iot.responses.IoTResponse.create_policy = _iot_keeping_creation_tags(
    moto.iot.responses.IoTResponse.create_policy,
    lambda response: response.iot_backend.policies[response._get_param("policyName")].arn,
)
moto.sqs.models.Queue.redrive_allow_policy = property(_get_redrive_allow_policy, _set_redrive_allow_policy)
moto.sqs.models.Queue.BASE_ATTRIBUTES = [*moto.sqs.models.Queue.BASE_ATTRIBUTES, "RedriveAllowPolicy"]
moto.sqs.models.SQSBackend.get_queue_attributes = _get_queue_attributes
moto.sqs.models.SQSBackend.set_queue_attributes = _set_queue_attributes
moto.sqs.models.SQSBackend.is_message_valid_based_on_retention_period = _is_message_retained
DynamoDBBackend.transact_write_items = _transact_write_items
for _name in ("put_item", "update_item", "delete_item", "get_item", "batch_write_item", "query", "scan"):
    setattr(DynamoDBBackend, _name, _serialised(getattr(DynamoDBBackend, _name)))

_iot_ca_key = ec.generate_private_key(ec.SECP256R1())
_iot_ca_name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "FleetOTA local IoT CA (moto)")])


def _create_certificate_from_csr(self, csr, set_as_active):
    request = x509.load_pem_x509_csr(csr.encode("utf-8"))
    if not request.is_signature_valid:
        raise ValueError("the CSR's signature does not verify")
    now = moto.core.utils.utcnow()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(request.subject)
        .issuer_name(_iot_ca_name)
        .public_key(request.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(_iot_ca_key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode("utf-8")
    return self.register_certificate(pem, ca_certificate_pem=None, set_as_active=set_as_active, status="INACTIVE")


_original_create_thing = IoTBackend.create_thing
_original_update_thing = IoTBackend.update_thing
_UNTYPED_THING_MAX_ATTRIBUTES = 3
_TYPED_THING_MAX_ATTRIBUTES = 50


def _check_attribute_count(thing_name, typed, attributes):
    limit = _TYPED_THING_MAX_ATTRIBUTES if typed else _UNTYPED_THING_MAX_ATTRIBUTES
    if len(attributes) > limit:
        kind = "a thing with a thing type" if typed else "a thing without a thing type"
        raise InvalidRequestException(f"{kind} can have at most {limit} attributes; {thing_name} would have {len(attributes)}")


def _create_thing(self, thing_name, thing_type_name, attribute_payload, billing_group_name=None):
    existing = next((thing for thing in self.things.values() if thing.thing_name == thing_name), None)
    if existing is None:
        _check_attribute_count(thing_name, bool(thing_type_name), (attribute_payload or {}).get("attributes") or {})
        return _original_create_thing(self, thing_name, thing_type_name, attribute_payload, billing_group_name)
    attributes = (attribute_payload or {}).get("attributes") or {}
    existing_type = existing.thing_type.thing_type_name if existing.thing_type else None
    if existing_type == (thing_type_name or None) and existing.attributes == attributes:
        return existing
    raise ResourceAlreadyExistsException(f"Thing {thing_name} already exists with a different configuration", existing.thing_id, existing.arn)


def _update_thing(self, thing_name, thing_type_name, attribute_payload, remove_thing_type):
    thing = self.describe_thing(thing_name)
    typed = bool(thing_type_name) or (thing.thing_type is not None and not remove_thing_type)
    attributes = dict(thing.attributes)
    if attribute_payload is not None and "attributes" in attribute_payload:
        given = attribute_payload.get("attributes") or {}
        attributes = {**attributes, **given} if attribute_payload.get("merge", False) else dict(given)
        attributes = {key: value for key, value in attributes.items() if value}
    _check_attribute_count(thing_name, typed, attributes)
    return _original_update_thing(self, thing_name, thing_type_name, attribute_payload, remove_thing_type)


def _connection_dropped(self, error, environ=None):
    """werkzeug sends no answer then; without this it kept the connection open for a next request."""
    self.close_connection = True
    self.log_error("no answer to %s %s (%s: %s); connection closed", getattr(self, "command", "?"), getattr(self, "path", "?"), type(error).__name__, error)


moto.settings.default_user_config.setdefault("iot", {})["use_valid_cert"] = True
werkzeug.serving.WSGIRequestHandler.connection_dropped = _connection_dropped
IoTBackend.create_thing = _create_thing
IoTBackend.update_thing = _update_thing
IoTBackend.create_certificate_from_csr = _create_certificate_from_csr

_sender = threading.local()
_LOCAL_FUNCTION_KEY_PREFIX = "fleetota-fn-"


def _local_sender_id(authorization):
    """The SenderId of what a local function sends: its role's local unique id (as localRoleUniqueId of
    `<function>-role`) and the function's name as the session; None for any other sender."""
    match = re.search(r"Credential=([^/,\s]+)/", authorization or "")
    key = match.group(1) if match else ""
    if not key.startswith(_LOCAL_FUNCTION_KEY_PREFIX):
        return None
    function = key[len(_LOCAL_FUNCTION_KEY_PREFIX):]
    role_id = hashlib.sha256(f"role:{function}-role".encode("utf-8")).hexdigest()[:17].upper()
    return f"AROA{role_id}:{function}"


def _sending_as_caller(respond):
    def sending(self):
        _sender.id = _local_sender_id(self.headers.get("Authorization"))
        try:
            return respond(self)
        finally:
            _sender.id = None

    return sending


_original_sqs_send_message = moto.sqs.models.SQSBackend.send_message


def _sqs_send_message(self, *args, **kwargs):
    message = _original_sqs_send_message(self, *args, **kwargs)
    sender = getattr(_sender, "id", None)
    if sender:
        message.sender_id = sender
    return message


_original_sqs_get_action = moto.sqs.responses.SQSResponse._get_action


def _sqs_action(self):
    """A JSON-protocol request's operation is the one its X-Amz-Target names (moto took an `Action` parameter first)."""
    target = self.headers.get("X-Amz-Target")
    if target and self.headers.get("Content-Type", "") in JSON_TYPES:
        return target.split(".")[-1]
    return _original_sqs_get_action(self)


moto.sqs.models.SQSBackend.send_message = _sqs_send_message
moto.sqs.responses.SQSResponse._get_action = _sqs_action
moto.sqs.responses.SQSResponse.send_message = _sending_as_caller(moto.sqs.responses.SQSResponse.send_message)
moto.sqs.responses.SQSResponse.send_message_batch = _sending_as_caller(moto.sqs.responses.SQSResponse.send_message_batch)

if __name__ == "__main__":
    moto_main()
