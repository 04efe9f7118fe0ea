"""Security Hub's documented limits for an AWS Security Finding Format record, beyond what the
service model declares (botocore's model has no lengths for these strings, and moto enforces
none of them): the limits ASFF findings are cut to, and `validate_asff` checks."""

from __future__ import annotations

import re

SCHEMA_VERSION = "2018-10-08"

# Top-level attributes Security Hub requires (the model marks Severity and Types optional; the
# ASFF documentation lists them as required for every finding).
REQUIRED = (
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "Types",
    "CreatedAt",
    "UpdatedAt",
    "Severity",
    "Title",
    "Description",
    "Resources",
)

MAX_LENGTH = {"Id": 512, "GeneratorId": 512, "Title": 256, "Description": 1024}
MAX_RESOURCES = 32
MAX_RESOURCE_TYPE = 256
MAX_RESOURCE_ID = 512
MAX_TYPES = 50
MAX_PRODUCT_FIELDS = 50
# Security Hub adds aws/securityhub/FindingId, ProductName and CompanyName to ProductFields
# itself; our own stay under 50 with those three added.
OWN_PRODUCT_FIELDS = MAX_PRODUCT_FIELDS - 3
MAX_PRODUCT_FIELD_KEY = 128
MAX_PRODUCT_FIELD_VALUE = 2048
# BatchImportFindings: "up to 240 KB per finding" (and 100 findings, 6 MB per call).
MAX_FINDING_BYTES = 240 * 1000

ACCOUNT_ID = re.compile(r"^\d{12}$")
PRODUCT_ARN = re.compile(r"^arn:aws(-[a-z]+)*:securityhub:[a-z0-9-]+:\d{12}:product/[^/\s]+/[^/\s]+$")
# RFC 3339 date-times as Security Hub takes them: fractions up to nine digits, Z or an offset.
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
TIMESTAMP_FIELDS = ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt", "ProcessedAt")

# Security Hub's finding-type taxonomy: namespace → categories (the classifier after is free).
TYPE_TAXONOMY: dict[str, frozenset[str]] = {
    "Software and Configuration Checks": frozenset(
        {
            "Vulnerabilities",
            "AWS Security Best Practices",
            "Industry and Regulatory Standards",
            "Patch Management",
        }
    ),
    "TTPs": frozenset(
        {
            "Initial Access",
            "Execution",
            "Persistence",
            "Privilege Escalation",
            "Defense Evasion",
            "Credential Access",
            "Discovery",
            "Lateral Movement",
            "Collection",
            "Command and Control",
        }
    ),
    "Effects": frozenset(
        {
            "Data Exposure",
            "Data Exfiltration",
            "Data Destruction",
            "Denial of Service",
            "Resource Consumption",
        }
    ),
    "Unusual Behaviors": frozenset(
        {
            "Application",
            "Network Flow",
            "IP address",
            "User",
            "VM",
            "Container",
            "Serverless",
            "Process",
            "Database",
            "Data",
        }
    ),
    "Sensitive Data Identifications": frozenset(
        {"PII", "Passwords", "Legal", "Financial", "Security", "Business"}
    ),
}

SEVERITY_LABELS = {
    "info": "INFORMATIONAL",
    "low": "LOW",
    "medium": "MEDIUM",
    "high": "HIGH",
    "critical": "CRITICAL",
}
PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov", "aws-us-iso", "aws-us-iso-b"})
