"""The AWS calls the generated corpus is made of: about forty services, each with the calls a busy
account makes to it (reads far more often than writes), and request and response bodies shaped like
the ones CloudTrail records for those calls.

A call is `(eventName, readOnly, weight, body)`; `body(ctx)` returns `(requestParameters,
responseElements)` for one event, drawing every varying value from `ctx.rng` so a seed fixes the
corpus. The bodies are not exhaustive copies of AWS's API models; they carry the fields, nesting and
sizes that make decoding and rule evaluation cost what they cost on a real trail."""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Body = tuple[Any, Any]

_HEX = "0123456789abcdef"
_UPPER = string.ascii_uppercase + "234567"
_NAMES = (
    "payments",
    "ledger",
    "search",
    "checkout",
    "billing",
    "reports",
    "auth",
    "media",
    "events",
    "orders",
)
_ENVS = ("prod", "staging", "dev", "qa")


@dataclass(slots=True)
class Context:
    """What one event's body may depend on: the random stream, the account and the region."""

    rng: random.Random
    account: str
    region: str

    def hex(self, n: int) -> str:
        return "".join(self.rng.choices(_HEX, k=n))

    def upper(self, n: int) -> str:
        return "".join(self.rng.choices(_UPPER, k=n))

    def name(self) -> str:
        return f"{self.rng.choice(_NAMES)}-{self.rng.choice(_ENVS)}"

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account}:{resource}"

    def uuid(self) -> str:
        h = self.hex(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def instance(self) -> str:
        return "i-0" + self.hex(16)

    def stamp(self) -> str:
        return f"2026-{self.rng.randint(1, 10):02d}-{self.rng.randint(1, 28):02d}T{self.rng.randint(0, 23):02d}:00:00Z"


BodyFn = Callable[[Context], Body]


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    read_only: bool
    weight: float
    body: BodyFn


@dataclass(frozen=True, slots=True)
class Service:
    source: str
    weight: float  # share of a busy account's traffic
    calls: tuple[Call, ...]
    global_service: bool = False  # recorded in us-east-1 whatever the caller's region
    data_events: bool = False  # data-plane calls (eventCategory Data)


def _none(ctx: Context) -> Body:
    return None, None


def _paged(ctx: Context) -> Body:
    return {"maxResults": ctx.rng.choice((50, 100, 1000))}, None


def _filters(ctx: Context) -> Body:
    return (
        {
            "filterSet": {
                "items": [
                    {"name": "tag:Environment", "valueSet": {"items": [{"value": ctx.rng.choice(_ENVS)}]}}
                ]
            },
            "instancesSet": {"items": [{"instanceId": ctx.instance()} for _ in range(ctx.rng.randint(1, 4))]},
            "maxResults": 1000,
        },
        None,
    )


def _run_instances(ctx: Context) -> Body:
    instance = ctx.instance()
    request = {
        "instancesSet": {"items": [{"imageId": "ami-0" + ctx.hex(16), "minCount": 1, "maxCount": 1}]},
        "instanceType": ctx.rng.choice(("t3.medium", "m6i.large", "c7g.xlarge", "r6i.2xlarge")),
        "blockDeviceMapping": {
            "items": [
                {"deviceName": "/dev/xvda", "ebs": {"volumeSize": 50, "volumeType": "gp3", "encrypted": True}}
            ]
        },
        "monitoring": {"enabled": False},
        "disableApiTermination": False,
        "subnetId": "subnet-0" + ctx.hex(16),
        "iamInstanceProfile": {"arn": ctx.arn("iam", f"instance-profile/{ctx.name()}", region=False)},
        "tagSpecificationSet": {
            "items": [{"resourceType": "instance", "tags": [{"key": "Name", "value": ctx.name()}]}]
        },
        "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2},
    }
    response = {
        "requestId": ctx.uuid(),
        "reservationId": "r-0" + ctx.hex(16),
        "ownerId": ctx.account,
        "instancesSet": {
            "items": [
                {
                    "instanceId": instance,
                    "instanceState": {"code": 0, "name": "pending"},
                    "privateDnsName": f"ip-10-{ctx.rng.randint(0, 255)}-{ctx.rng.randint(0, 255)}-{ctx.rng.randint(1, 254)}.ec2.internal",
                    "amiLaunchIndex": 0,
                    "placement": {"availabilityZone": ctx.region + "a", "tenancy": "default"},
                    "privateIpAddress": f"10.{ctx.rng.randint(0, 255)}.{ctx.rng.randint(0, 255)}.{ctx.rng.randint(1, 254)}",
                    "architecture": "x86_64",
                    "rootDeviceType": "ebs",
                    "networkInterfaceSet": {
                        "items": [{"networkInterfaceId": "eni-0" + ctx.hex(16), "status": "in-use"}]
                    },
                }
            ]
        },
    }
    return request, response


def _security_group_rule(ctx: Context) -> Body:
    cidr = ctx.rng.choice(("10.0.0.0/8", "172.16.0.0/12", "192.168.10.0/24", "203.0.113.0/24"))
    port = ctx.rng.choice((22, 443, 5432, 6379, 8080))
    return (
        {
            "groupId": "sg-0" + ctx.hex(16),
            "ipPermissions": {
                "items": [
                    {
                        "ipProtocol": "tcp",
                        "fromPort": port,
                        "toPort": port,
                        "ipRanges": {"items": [{"cidrIp": cidr, "description": "from " + ctx.name()}]},
                    }
                ]
            },
        },
        {
            "requestId": ctx.uuid(),
            "_return": True,
            "securityGroupRuleSet": {
                "items": [
                    {
                        "securityGroupRuleId": "sgr-0" + ctx.hex(16),
                        "groupOwnerId": ctx.account,
                        "isEgress": False,
                        "ipProtocol": "tcp",
                        "fromPort": port,
                        "toPort": port,
                        "cidrIpv4": cidr,
                    }
                ]
            },
        },
    )


def _volume(ctx: Context) -> Body:
    return (
        {
            "size": ctx.rng.choice((20, 100, 500)),
            "zone": ctx.region + "b",
            "volumeType": "gp3",
            "encrypted": True,
        },
        {
            "requestId": ctx.uuid(),
            "volumeId": "vol-0" + ctx.hex(16),
            "size": "100",
            "status": "creating",
            "createTime": 1793700259000,
        },
    )


def _s3_object(ctx: Context) -> Body:
    bucket = f"{ctx.name()}-{ctx.account}-data"
    key = f"{ctx.rng.choice(('exports', 'uploads', 'logs', 'tmp'))}/{ctx.stamp()[:10]}/{ctx.hex(12)}.parquet"
    return {"bucketName": bucket, "Host": f"{bucket}.s3.{ctx.region}.amazonaws.com", "key": key}, None


def _s3_bucket(ctx: Context) -> Body:
    bucket = f"{ctx.name()}-{ctx.account}-data"
    return {
        "bucketName": bucket,
        "Host": f"{bucket}.s3.{ctx.region}.amazonaws.com",
        ctx.rng.choice(("acl", "policy", "tagging", "encryption")): "",
    }, None


def _s3_policy(ctx: Context) -> Body:
    bucket = f"{ctx.name()}-{ctx.account}-data"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "AllowPipeline",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ctx.account}:role/deploy-{ctx.rng.choice(_ENVS)}"},
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"arn:aws:s3:::{bucket}/*",
            },
        ],
    }
    return {
        "bucketName": bucket,
        "Host": f"{bucket}.s3.amazonaws.com",
        "bucketPolicy": policy,
        "policy": "",
    }, None


def _iam_user(ctx: Context) -> Body:
    return {
        "userName": f"{ctx.rng.choice(('alice', 'bob', 'carol', 'dan', 'erin'))}.{ctx.rng.choice(_NAMES)}"
    }, None


def _iam_role(ctx: Context) -> Body:
    return {"roleName": f"{ctx.name()}-role"}, None


def _iam_policy_doc(ctx: Context) -> Body:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{ctx.name()}-data", f"arn:aws:s3:::{ctx.name()}-data/*"],
            },
            {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": ctx.arn("kms", f"key/{ctx.uuid()}")},
        ],
    }
    return (
        {
            "roleName": f"{ctx.name()}-role",
            "policyName": f"{ctx.name()}-inline",
            "policyDocument": json.dumps(document),
        },
        None,
    )


def _attach_policy(ctx: Context) -> Body:
    policy = ctx.rng.choice(
        (
            "ReadOnlyAccess",
            "AmazonS3ReadOnlyAccess",
            "CloudWatchAgentServerPolicy",
            "AmazonSSMManagedInstanceCore",
        )
    )
    return {"roleName": f"{ctx.name()}-role", "policyArn": f"arn:aws:iam::aws:policy/{policy}"}, None


def _create_role(ctx: Context) -> Body:
    role = f"{ctx.name()}-role"
    trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    return (
        {
            "roleName": role,
            "assumeRolePolicyDocument": trust,
            "description": "service role for " + role,
            "maxSessionDuration": 3600,
        },
        {
            "role": {
                "path": "/",
                "roleName": role,
                "roleId": "AROA" + ctx.upper(17),
                "arn": f"arn:aws:iam::{ctx.account}:role/{role}",
                "createDate": "Nov 3, 2026 10:04:19 AM",
                "assumeRolePolicyDocument": trust.replace('"', "%22"),
            }
        },
    )


def _assume_role(ctx: Context) -> Body:
    role = f"{ctx.name()}-role"
    session = f"{ctx.rng.choice(('botocore-session', 'aws-go-sdk', 'terraform', 'GitHubActions'))}-{ctx.rng.randint(10**9, 10**10)}"
    return (
        {
            "roleArn": f"arn:aws:iam::{ctx.account}:role/{role}",
            "roleSessionName": session,
            "durationSeconds": 3600,
        },
        {
            "credentials": {
                "accessKeyId": "ASIA" + ctx.upper(16),
                "sessionToken": "IQoJb3JpZ2luX2VjE" + ctx.upper(180),
                "expiration": "Nov 3, 2026 11:04:19 AM",
            },
            "assumedRoleUser": {
                "assumedRoleId": "AROA" + ctx.upper(17) + ":" + session,
                "arn": f"arn:aws:sts::{ctx.account}:assumed-role/{role}/{session}",
            },
        },
    )


def _kms(ctx: Context) -> Body:
    key = ctx.arn("kms", f"key/{ctx.uuid()}")
    return (
        {
            "keyId": key,
            "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
            "encryptionContext": {"aws:s3:arn": f"arn:aws:s3:::{ctx.name()}-data/{ctx.hex(20)}"},
        },
        None,
    )


def _data_key(ctx: Context) -> Body:
    key = ctx.arn("kms", f"key/{ctx.uuid()}")
    return {
        "keyId": key,
        "keySpec": "AES_256",
        "encryptionContext": {"aws:ebs:id": "vol-0" + ctx.hex(16)},
    }, None


def _secret(ctx: Context) -> Body:
    return {"secretId": ctx.arn("secretsmanager", f"secret:{ctx.name()}/db-credentials-{ctx.upper(6)}")}, None


def _ssm_parameter(ctx: Context) -> Body:
    return {
        "name": f"/{ctx.name()}/config/{ctx.rng.choice(('db_url', 'feature_flags', 'api_endpoint'))}",
        "withDecryption": ctx.rng.random() < 0.5,
    }, None


def _ssm_instance(ctx: Context) -> Body:
    return {
        "instanceInformationFilterList": [{"key": "InstanceIds", "valueSet": [ctx.instance()]}],
        "maxResults": 50,
    }, None


def _ssm_command(ctx: Context) -> Body:
    return (
        {
            "documentName": "AWS-RunShellScript",
            "instanceIds": [ctx.instance()],
            "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS",
            "timeoutSeconds": 600,
        },
        {
            "command": {
                "commandId": ctx.uuid(),
                "documentName": "AWS-RunShellScript",
                "status": "Pending",
                "targets": [],
                "instanceIds": [ctx.instance()],
                "requestedDateTime": "Nov 3, 2026 10:04:19 AM",
            }
        },
    )


def _lambda_fn(ctx: Context) -> Body:
    return {"functionName": ctx.arn("lambda", f"function:{ctx.name()}-handler")}, None


def _lambda_update(ctx: Context) -> Body:
    name = f"{ctx.name()}-handler"
    return (
        {
            "functionName": name,
            "s3Bucket": f"{ctx.name()}-artifacts",
            "s3Key": f"lambda/{ctx.hex(8)}.zip",
            "publish": True,
        },
        {
            "functionName": name,
            "functionArn": ctx.arn("lambda", f"function:{name}"),
            "runtime": "python3.12",
            "role": f"arn:aws:iam::{ctx.account}:role/{name}-role",
            "handler": "app.handler",
            "codeSize": ctx.rng.randint(10**4, 10**7),
            "timeout": 30,
            "memorySize": 512,
            "lastModified": "2026-11-03T10:04:19.000+0000",
            "codeSha256": ctx.hex(43),
            "version": str(ctx.rng.randint(1, 90)),
            "state": "Pending",
            "architectures": ["arm64"],
        },
    )


def _rds(ctx: Context) -> Body:
    return {"dBInstanceIdentifier": f"{ctx.name()}-db"}, None


def _rds_snapshot(ctx: Context) -> Body:
    db = f"{ctx.name()}-db"
    snapshot = f"{db}-{ctx.hex(6)}"
    return (
        {"dBSnapshotIdentifier": snapshot, "dBInstanceIdentifier": db},
        {
            "dBSnapshotIdentifier": snapshot,
            "dBInstanceIdentifier": db,
            "engine": "postgres",
            "allocatedStorage": 200,
            "status": "creating",
            "port": 5432,
            "availabilityZone": ctx.region + "a",
            "vpcId": "vpc-0" + ctx.hex(16),
            "engineVersion": "16.3",
            "snapshotType": "manual",
            "encrypted": True,
            "kmsKeyId": ctx.arn("kms", f"key/{ctx.uuid()}"),
            "dBSnapshotArn": ctx.arn("rds", f"snapshot:{snapshot}"),
        },
    )


def _dynamodb(ctx: Context) -> Body:
    return {
        "tableName": f"{ctx.name()}-table",
        "key": {"pk": {"S": "HIDDEN_DUE_TO_SECURITY_REASONS"}},
        "consistentRead": False,
    }, None


def _logs(ctx: Context) -> Body:
    return {
        "logGroupName": f"/aws/lambda/{ctx.name()}-handler",
        "logStreamName": f"2026/11/03/[$LATEST]{ctx.hex(32)}",
    }, None


def _metric(ctx: Context) -> Body:
    return {
        "namespace": ctx.rng.choice(("AWS/EC2", "AWS/Lambda", "CWAgent")),
        "metricName": ctx.rng.choice(("CPUUtilization", "Errors", "mem_used_percent")),
        "startTime": ctx.stamp(),
        "endTime": ctx.stamp(),
        "period": 300,
        "statistics": ["Average", "Maximum"],
    }, None


def _queue(ctx: Context) -> Body:
    return {
        "queueUrl": f"https://sqs.{ctx.region}.amazonaws.com/{ctx.account}/{ctx.name()}-queue",
        "attributeNames": ["All"],
    }, None


def _topic(ctx: Context) -> Body:
    return {"topicArn": ctx.arn("sns", f"{ctx.name()}-alerts")}, None


def _cluster(ctx: Context) -> Body:
    return {"name": f"{ctx.name()}-cluster"}, None


def _ecs_task(ctx: Context) -> Body:
    cluster = f"{ctx.name()}-cluster"
    return (
        {
            "cluster": cluster,
            "taskDefinition": f"{ctx.name()}-task:{ctx.rng.randint(1, 200)}",
            "count": 1,
            "launchType": "FARGATE",
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": ["subnet-0" + ctx.hex(16)],
                    "securityGroups": ["sg-0" + ctx.hex(16)],
                    "assignPublicIp": "DISABLED",
                }
            },
        },
        {
            "tasks": [
                {
                    "taskArn": ctx.arn("ecs", f"task/{cluster}/{ctx.hex(32)}"),
                    "clusterArn": ctx.arn("ecs", f"cluster/{cluster}"),
                    "lastStatus": "PROVISIONING",
                    "desiredStatus": "RUNNING",
                    "cpu": "512",
                    "memory": "1024",
                    "containers": [
                        {
                            "name": "app",
                            "image": f"{ctx.account}.dkr.ecr.{ctx.region}.amazonaws.com/app:{ctx.hex(7)}",
                            "lastStatus": "PENDING",
                        }
                    ],
                }
            ],
            "failures": [],
        },
    )


def _ecr(ctx: Context) -> Body:
    return {"repositoryName": f"{ctx.rng.choice(_NAMES)}/app", "imageIds": [{"imageTag": ctx.hex(7)}]}, None


def _stack(ctx: Context) -> Body:
    return {"stackName": f"{ctx.name()}-stack"}, None


def _stack_update(ctx: Context) -> Body:
    name = f"{ctx.name()}-stack"
    return (
        {
            "stackName": name,
            "templateURL": f"https://s3.amazonaws.com/{ctx.name()}-cfn/{ctx.hex(16)}.template",
            "parameters": [
                {"parameterKey": "Environment", "parameterValue": ctx.rng.choice(_ENVS)},
                {"parameterKey": "ImageTag", "parameterValue": ctx.hex(7)},
            ],
            "capabilities": ["CAPABILITY_NAMED_IAM"],
        },
        {"stackId": ctx.arn("cloudformation", f"stack/{name}/{ctx.uuid()}")},
    )


def _glue(ctx: Context) -> Body:
    return {
        "databaseName": f"{ctx.rng.choice(_NAMES)}_lake",
        "tableName": f"{ctx.rng.choice(_NAMES)}_events",
    }, None


def _athena(ctx: Context) -> Body:
    return (
        {
            "queryString": f"SELECT eventname, count(*) FROM {ctx.rng.choice(_NAMES)}_events WHERE day = '{ctx.stamp()[:10]}' GROUP BY 1 ORDER BY 2 DESC LIMIT 100",
            "workGroup": "primary",
            "queryExecutionContext": {"database": "lake"},
        },
        {"queryExecutionId": ctx.uuid()},
    )


def _states(ctx: Context) -> Body:
    machine = f"{ctx.name()}-flow"
    return {
        "stateMachineArn": ctx.arn("states", f"stateMachine:{machine}"),
        "name": ctx.uuid(),
        "input": "HIDDEN_DUE_TO_SECURITY_REASONS",
    }, {
        "executionArn": ctx.arn("states", f"execution:{machine}:{ctx.uuid()}"),
        "startDate": "Nov 3, 2026 10:04:19 AM",
    }


def _events_rule(ctx: Context) -> Body:
    return {"name": f"{ctx.name()}-schedule", "eventBusName": "default"}, None


def _kinesis(ctx: Context) -> Body:
    return {"streamName": f"{ctx.name()}-stream", "shardId": f"shardId-{ctx.rng.randint(0, 16):012d}"}, None


def _route53(ctx: Context) -> Body:
    return {"hostedZoneId": "Z" + ctx.upper(20), "maxItems": "300"}, None


def _acm(ctx: Context) -> Body:
    return {"certificateArn": ctx.arn("acm", f"certificate/{ctx.uuid()}")}, None


def _elb(ctx: Context) -> Body:
    return {
        "loadBalancerArns": [
            ctx.arn("elasticloadbalancing", f"loadbalancer/app/{ctx.name()}-alb/{ctx.hex(16)}")
        ]
    }, None


def _autoscaling(ctx: Context) -> Body:
    return {
        "autoScalingGroupName": f"{ctx.name()}-asg",
        "desiredCapacity": ctx.rng.randint(2, 30),
        "honorCooldown": False,
    }, None


def _codebuild(ctx: Context) -> Body:
    return {"projectName": f"{ctx.name()}-build", "sourceVersion": ctx.hex(40)}, None


def _sso(ctx: Context) -> Body:
    return {
        "accountId": ctx.account,
        "roleName": ctx.rng.choice(("AdministratorAccess", "ReadOnly", "PowerUser")),
    }, None


def _guardduty(ctx: Context) -> Body:
    return {
        "detectorId": ctx.hex(32),
        "findingCriteria": {"criterion": {"severity": {"gte": 4}, "service.archived": {"eq": ["false"]}}},
        "maxResults": 50,
    }, None


def _config(ctx: Context) -> Body:
    return {
        "configRuleNames": [f"{ctx.name()}-{ctx.rng.choice(('s3-encryption', 'root-mfa', 'vpc-flow-logs'))}"]
    }, None


def _securityhub(ctx: Context) -> Body:
    return {
        "filters": {
            "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
            "SeverityLabel": [{"Value": "HIGH", "Comparison": "EQUALS"}],
        },
        "maxResults": 100,
    }, None


def _trail(ctx: Context) -> Body:
    return {
        "trailNameList": [ctx.arn("cloudtrail", "trail/organization-trail")],
        "includeShadowTrails": True,
    }, None


def _sagemaker(ctx: Context) -> Body:
    return {"endpointName": f"{ctx.name()}-model"}, None


def _backup(ctx: Context) -> Body:
    return {"backupVaultName": f"{ctx.rng.choice(_ENVS)}-vault", "maxResults": 100}, None


def _elasticache(ctx: Context) -> Body:
    return {"cacheClusterId": f"{ctx.name()}-redis", "showCacheNodeInfo": True}, None


def _redshift(ctx: Context) -> Body:
    return {"clusterIdentifier": f"{ctx.name()}-dw"}, None


def _apigateway(ctx: Context) -> Body:
    return {"restApiId": ctx.hex(10), "limit": 500}, None


def _signin(ctx: Context) -> Body:
    return None, {"ConsoleLogin": "Success"}


def _organizations(ctx: Context) -> Body:
    return {"accountId": str(ctx.rng.randint(10**11, 10**12 - 1))}, None


def _access_analyzer(ctx: Context) -> Body:
    return {"analyzerArn": ctx.arn("access-analyzer", f"analyzer/{ctx.name()}"), "maxResults": 100}, None


def _firehose(ctx: Context) -> Body:
    return {"deliveryStreamName": f"{ctx.name()}-to-s3"}, None


def _ebs(ctx: Context) -> Body:
    return {"snapshotId": "snap-0" + ctx.hex(16), "maxResults": 1000}, None


def _c(name: str, read_only: bool, weight: float, body: BodyFn = _none) -> Call:
    return Call(name, read_only, weight, body)


SERVICES: tuple[Service, ...] = (
    Service(
        "ec2.amazonaws.com",
        14,
        (
            _c("DescribeInstances", True, 10, _filters),
            _c("DescribeVolumes", True, 4, _paged),
            _c("DescribeSecurityGroups", True, 4, _paged),
            _c("DescribeSubnets", True, 3, _paged),
            _c("DescribeNetworkInterfaces", True, 3, _filters),
            _c("DescribeInstanceStatus", True, 3, _filters),
            _c("DescribeSnapshots", True, 2, _paged),
            _c("RunInstances", False, 0.4, _run_instances),
            _c("TerminateInstances", False, 0.3, _filters),
            _c("CreateVolume", False, 0.3, _volume),
            _c("AuthorizeSecurityGroupIngress", False, 0.2, _security_group_rule),
            _c("CreateTags", False, 0.8, _filters),
            _c("StopInstances", False, 0.2, _filters),
            _c("GetPasswordData", True, 0.05, _filters),
        ),
    ),
    Service(
        "s3.amazonaws.com",
        12,
        (
            _c("GetObject", True, 10, _s3_object),
            _c("PutObject", False, 5, _s3_object),
            _c("HeadObject", True, 3, _s3_object),
            _c("ListObjects", True, 3, _s3_bucket),
            _c("GetBucketAcl", True, 2, _s3_bucket),
            _c("GetBucketPolicy", True, 1, _s3_bucket),
            _c("GetBucketEncryption", True, 1, _s3_bucket),
            _c("PutBucketPolicy", False, 0.1, _s3_policy),
            _c("DeleteObject", False, 1, _s3_object),
            _c("GetBucketLocation", True, 2, _s3_bucket),
            _c("CreateBucket", False, 0.05, _s3_bucket),
        ),
        data_events=True,
    ),
    Service(
        "sts.amazonaws.com",
        10,
        (
            _c("AssumeRole", True, 8, _assume_role),
            _c("GetCallerIdentity", True, 4, _none),
            _c("AssumeRoleWithWebIdentity", True, 2, _assume_role),
            _c("GetSessionToken", True, 0.3, _none),
        ),
    ),
    Service(
        "kms.amazonaws.com",
        9,
        (
            _c("Decrypt", True, 10, _kms),
            _c("Encrypt", True, 3, _kms),
            _c("GenerateDataKey", True, 5, _data_key),
            _c("DescribeKey", True, 2, _kms),
            _c("ScheduleKeyDeletion", False, 0.02, _kms),
            _c("DisableKey", False, 0.02, _kms),
        ),
    ),
    Service(
        "iam.amazonaws.com",
        5,
        (
            _c("GetRole", True, 5, _iam_role),
            _c("ListRoles", True, 2, _paged),
            _c("GetUser", True, 2, _iam_user),
            _c("ListUsers", True, 1, _paged),
            _c("ListAttachedRolePolicies", True, 3, _iam_role),
            _c("GetPolicyVersion", True, 2, _iam_role),
            _c("CreateRole", False, 0.1, _create_role),
            _c("PutRolePolicy", False, 0.1, _iam_policy_doc),
            _c("AttachRolePolicy", False, 0.1, _attach_policy),
            _c("CreateAccessKey", False, 0.03, _iam_user),
            _c("CreateUser", False, 0.03, _iam_user),
            _c("DeleteRole", False, 0.05, _iam_role),
            _c("UpdateAssumeRolePolicy", False, 0.03, _iam_policy_doc),
        ),
        global_service=True,
    ),
    Service(
        "ssm.amazonaws.com",
        5,
        (
            _c("GetParameter", True, 6, _ssm_parameter),
            _c("GetParameters", True, 3, _ssm_parameter),
            _c("DescribeInstanceInformation", True, 3, _ssm_instance),
            _c("UpdateInstanceInformation", False, 4, _ssm_instance),
            _c("SendCommand", False, 0.2, _ssm_command),
            _c("PutParameter", False, 0.2, _ssm_parameter),
            _c("StartSession", False, 0.05, _ssm_instance),
        ),
    ),
    Service(
        "lambda.amazonaws.com",
        4,
        (
            _c("Invoke", False, 6, _lambda_fn),
            _c("GetFunction", True, 2, _lambda_fn),
            _c("ListFunctions20150331", True, 1, _paged),
            _c("UpdateFunctionCode20150331v2", False, 0.2, _lambda_update),
            _c("AddPermission20150331v2", False, 0.05, _lambda_fn),
        ),
        data_events=True,
    ),
    Service(
        "secretsmanager.amazonaws.com",
        3,
        (
            _c("GetSecretValue", True, 8, _secret),
            _c("DescribeSecret", True, 2, _secret),
            _c("PutSecretValue", False, 0.1, _secret),
            _c("DeleteSecret", False, 0.02, _secret),
        ),
    ),
    Service(
        "dynamodb.amazonaws.com",
        3,
        (
            _c("GetItem", True, 6, _dynamodb),
            _c("PutItem", False, 3, _dynamodb),
            _c("Query", True, 4, _dynamodb),
            _c("DescribeTable", True, 2, _dynamodb),
            _c("DeleteTable", False, 0.01, _dynamodb),
        ),
        data_events=True,
    ),
    Service(
        "logs.amazonaws.com",
        3,
        (
            _c("CreateLogStream", False, 4, _logs),
            _c("DescribeLogGroups", True, 2, _paged),
            _c("FilterLogEvents", True, 1, _logs),
            _c("DeleteLogGroup", False, 0.02, _logs),
        ),
    ),
    Service(
        "monitoring.amazonaws.com",
        3,
        (
            _c("GetMetricData", True, 5, _metric),
            _c("DescribeAlarms", True, 3, _paged),
            _c("PutMetricAlarm", False, 0.2, _metric),
            _c("DeleteAlarms", False, 0.05, _metric),
        ),
    ),
    Service(
        "rds.amazonaws.com",
        2,
        (
            _c("DescribeDBInstances", True, 5, _rds),
            _c("DescribeDBClusters", True, 2, _rds),
            _c("CreateDBSnapshot", False, 0.1, _rds_snapshot),
            _c("ModifyDBInstance", False, 0.1, _rds),
            _c("DeleteDBInstance", False, 0.01, _rds),
        ),
    ),
    Service(
        "sqs.amazonaws.com",
        2,
        (
            _c("GetQueueAttributes", True, 4, _queue),
            _c("ListQueues", True, 1, _paged),
            _c("SetQueueAttributes", False, 0.1, _queue),
        ),
    ),
    Service(
        "sns.amazonaws.com",
        1.5,
        (
            _c("Publish", False, 3, _topic),
            _c("GetTopicAttributes", True, 2, _topic),
            _c("Subscribe", False, 0.1, _topic),
        ),
    ),
    Service(
        "ecs.amazonaws.com",
        2,
        (
            _c("DescribeTasks", True, 4, _cluster),
            _c("ListTasks", True, 3, _cluster),
            _c("RunTask", False, 0.5, _ecs_task),
            _c("UpdateService", False, 0.3, _cluster),
            _c("DescribeServices", True, 2, _cluster),
        ),
    ),
    Service(
        "ecr.amazonaws.com",
        1.5,
        (
            _c("GetAuthorizationToken", True, 4, _paged),
            _c("BatchGetImage", True, 3, _ecr),
            _c("PutImage", False, 0.3, _ecr),
            _c("DescribeRepositories", True, 1, _paged),
        ),
    ),
    Service(
        "eks.amazonaws.com",
        1.5,
        (
            _c("DescribeCluster", True, 5, _cluster),
            _c("ListClusters", True, 1, _paged),
            _c("ListNodegroups", True, 2, _cluster),
            _c("DescribeNodegroup", True, 2, _cluster),
            _c("ListAccessEntries", True, 1, _cluster),
            _c("UpdateNodegroupConfig", False, 0.1, _cluster),
            _c("DescribeAddon", True, 1, _cluster),
        ),
    ),
    Service(
        "cloudformation.amazonaws.com",
        1.5,
        (
            _c("DescribeStacks", True, 5, _stack),
            _c("ListStackResources", True, 2, _stack),
            _c("UpdateStack", False, 0.2, _stack_update),
            _c("CreateStack", False, 0.1, _stack_update),
            _c("DeleteStack", False, 0.05, _stack),
        ),
    ),
    Service(
        "elasticloadbalancing.amazonaws.com",
        1,
        (
            _c("DescribeTargetHealth", True, 5, _elb),
            _c("DescribeLoadBalancers", True, 2, _elb),
            _c("RegisterTargets", False, 0.5, _elb),
            _c("DeregisterTargets", False, 0.5, _elb),
        ),
    ),
    Service(
        "autoscaling.amazonaws.com",
        1,
        (
            _c("DescribeAutoScalingGroups", True, 5, _autoscaling),
            _c("SetDesiredCapacity", False, 0.5, _autoscaling),
            _c("DescribeScalingActivities", True, 1, _autoscaling),
        ),
    ),
    Service(
        "glue.amazonaws.com",
        1,
        (
            _c("GetTable", True, 5, _glue),
            _c("GetPartitions", True, 3, _glue),
            _c("BatchCreatePartition", False, 1, _glue),
        ),
    ),
    Service(
        "athena.amazonaws.com",
        1,
        (
            _c("StartQueryExecution", False, 2, _athena),
            _c("GetQueryExecution", True, 6, _athena),
            _c("GetQueryResults", True, 3, _athena),
        ),
    ),
    Service(
        "states.amazonaws.com",
        0.8,
        (_c("StartExecution", False, 2, _states), _c("DescribeExecution", True, 3, _states)),
    ),
    Service(
        "events.amazonaws.com",
        0.8,
        (
            _c("DescribeRule", True, 3, _events_rule),
            _c("PutRule", False, 0.2, _events_rule),
            _c("PutTargets", False, 0.2, _events_rule),
        ),
    ),
    Service(
        "kinesis.amazonaws.com",
        0.8,
        (_c("DescribeStream", True, 3, _kinesis), _c("GetShardIterator", True, 2, _kinesis)),
    ),
    Service(
        "firehose.amazonaws.com",
        0.4,
        (_c("DescribeDeliveryStream", True, 3, _firehose), _c("UpdateDestination", False, 0.1, _firehose)),
    ),
    Service(
        "route53.amazonaws.com",
        0.6,
        (
            _c("ListResourceRecordSets", True, 4, _route53),
            _c("ChangeResourceRecordSets", False, 0.3, _route53),
            _c("GetHostedZone", True, 1, _route53),
        ),
        global_service=True,
    ),
    Service(
        "acm.amazonaws.com",
        0.4,
        (_c("DescribeCertificate", True, 4, _acm), _c("ListCertificates", True, 1, _paged)),
    ),
    Service(
        "apigateway.amazonaws.com",
        0.5,
        (
            _c("GetRestApis", True, 3, _apigateway),
            _c("GetStages", True, 2, _apigateway),
            _c("CreateDeployment", False, 0.2, _apigateway),
        ),
    ),
    Service(
        "codebuild.amazonaws.com",
        0.4,
        (_c("StartBuild", False, 1, _codebuild), _c("BatchGetBuilds", True, 4, _codebuild)),
    ),
    Service(
        "sso.amazonaws.com",
        0.5,
        (_c("GetRoleCredentials", True, 4, _sso), _c("ListAccounts", True, 1, _sso)),
        global_service=True,
    ),
    Service(
        "signin.amazonaws.com",
        0.3,
        (_c("ConsoleLogin", False, 4, _signin), _c("SwitchRole", False, 1, _signin)),
        global_service=True,
    ),
    Service(
        "guardduty.amazonaws.com",
        0.4,
        (
            _c("ListFindings", True, 4, _guardduty),
            _c("GetFindings", True, 2, _guardduty),
            _c("ArchiveFindings", False, 0.1, _guardduty),
        ),
    ),
    Service(
        "config.amazonaws.com",
        0.5,
        (
            _c("PutEvaluations", False, 4, _config),
            _c("DescribeConfigRules", True, 2, _config),
            _c("DescribeComplianceByConfigRule", True, 1, _config),
        ),
    ),
    Service(
        "securityhub.amazonaws.com",
        0.4,
        (_c("GetFindings", True, 3, _securityhub), _c("BatchImportFindings", False, 2, _securityhub)),
    ),
    Service(
        "cloudtrail.amazonaws.com",
        0.4,
        (
            _c("DescribeTrails", True, 4, _trail),
            _c("GetTrailStatus", True, 3, _trail),
            _c("LookupEvents", True, 1, _paged),
            _c("GetEventSelectors", True, 1, _trail),
        ),
    ),
    Service(
        "sagemaker.amazonaws.com",
        0.3,
        (_c("DescribeEndpoint", True, 3, _sagemaker), _c("ListModels", True, 1, _paged)),
    ),
    Service(
        "backup.amazonaws.com",
        0.3,
        (_c("ListRecoveryPointsByBackupVault", True, 3, _backup), _c("StartBackupJob", False, 0.5, _backup)),
    ),
    Service(
        "elasticache.amazonaws.com",
        0.3,
        (
            _c("DescribeCacheClusters", True, 3, _elasticache),
            _c("DescribeReplicationGroups", True, 1, _elasticache),
        ),
    ),
    Service(
        "redshift.amazonaws.com",
        0.2,
        (_c("DescribeClusters", True, 3, _redshift), _c("GetClusterCredentials", True, 1, _redshift)),
    ),
    Service(
        "organizations.amazonaws.com",
        0.2,
        (_c("DescribeAccount", True, 3, _organizations), _c("ListAccounts", True, 2, _paged)),
        global_service=True,
    ),
    Service(
        "access-analyzer.amazonaws.com",
        0.2,
        (_c("ListFindings", True, 3, _access_analyzer), _c("ValidatePolicy", True, 1, _access_analyzer)),
    ),
    Service(
        "ebs.amazonaws.com",
        0.2,
        (_c("ListSnapshotBlocks", True, 3, _ebs), _c("GetSnapshotBlock", True, 2, _ebs)),
        data_events=True,
    ),
)
