"""MITRE ATT&CK from rule tags, the Sigma way: `attack.privilege_escalation` (or, in newer Sigma,
`attack.privilege-escalation`) names a tactic, `attack.t1078.004` a (sub-)technique, `attack.ta0004`
a tactic by id. OCSF, ECS and ASFF each carry what this module reads.

Tactic ids and names are the Enterprise matrix's. Names of tactics newer than that table (Sigma
already uses `attack.stealth` and `attack.defense-impairment`) are kept without an id rather than
with a guessed one; technique names come from a small table of the cloud techniques our rules use,
and a technique outside it keeps its id only."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

TACTICS: dict[str, tuple[str, str]] = {
    "reconnaissance": ("TA0043", "Reconnaissance"),
    "resource_development": ("TA0042", "Resource Development"),
    "initial_access": ("TA0001", "Initial Access"),
    "execution": ("TA0002", "Execution"),
    "persistence": ("TA0003", "Persistence"),
    "privilege_escalation": ("TA0004", "Privilege Escalation"),
    "defense_evasion": ("TA0005", "Defense Evasion"),
    "credential_access": ("TA0006", "Credential Access"),
    "discovery": ("TA0007", "Discovery"),
    "lateral_movement": ("TA0008", "Lateral Movement"),
    "collection": ("TA0009", "Collection"),
    "command_and_control": ("TA0011", "Command and Control"),
    "exfiltration": ("TA0010", "Exfiltration"),
    "impact": ("TA0040", "Impact"),
}

# Tactics that Sigma rules name but whose ids this table does not vouch for.
TACTICS_WITHOUT_ID: dict[str, str] = {
    "stealth": "Stealth",
    "defense_impairment": "Defense Impairment",
}

TECHNIQUES: dict[str, str] = {
    "T1003": "OS Credential Dumping",
    "T1005": "Data from Local System",
    "T1016": "System Network Configuration Discovery",
    "T1020": "Automated Exfiltration",
    "T1021": "Remote Services",
    "T1021.007": "Cloud Services",
    "T1059": "Command and Scripting Interpreter",
    "T1059.009": "Cloud API",
    "T1069": "Permission Groups Discovery",
    "T1069.003": "Cloud Groups",
    "T1070": "Indicator Removal",
    "T1078": "Valid Accounts",
    "T1078.001": "Default Accounts",
    "T1078.004": "Cloud Accounts",
    "T1087": "Account Discovery",
    "T1087.004": "Cloud Account",
    "T1098": "Account Manipulation",
    "T1098.001": "Additional Cloud Credentials",
    "T1098.003": "Additional Cloud Roles",
    "T1098.004": "SSH Authorized Keys",
    "T1110": "Brute Force",
    "T1136": "Create Account",
    "T1136.003": "Cloud Account",
    "T1190": "Exploit Public-Facing Application",
    "T1485": "Data Destruction",
    "T1486": "Data Encrypted for Impact",
    "T1490": "Inhibit System Recovery",
    "T1496": "Resource Hijacking",
    "T1525": "Implant Internal Image",
    "T1526": "Cloud Service Discovery",
    "T1528": "Steal Application Access Token",
    "T1530": "Data from Cloud Storage",
    "T1531": "Account Access Removal",
    "T1535": "Unused/Unsupported Cloud Regions",
    "T1537": "Transfer Data to Cloud Account",
    "T1538": "Cloud Service Dashboard",
    "T1548": "Abuse Elevation Control Mechanism",
    "T1550": "Use Alternate Authentication Material",
    "T1550.001": "Application Access Token",
    "T1552": "Unsecured Credentials",
    "T1552.005": "Cloud Instance Metadata API",
    "T1555": "Credentials from Password Stores",
    "T1556": "Modify Authentication Process",
    "T1562": "Impair Defenses",
    "T1562.001": "Disable or Modify Tools",
    "T1562.007": "Disable or Modify Cloud Firewall",
    "T1562.008": "Disable or Modify Cloud Logs",
    "T1566": "Phishing",
    "T1578": "Modify Cloud Compute Infrastructure",
    "T1578.002": "Create Cloud Instance",
    "T1578.003": "Delete Cloud Instance",
    "T1580": "Cloud Infrastructure Discovery",
    "T1619": "Cloud Storage Object Discovery",
    "T1648": "Serverless Execution",
    "T1651": "Cloud Administration Command",
}

_TECHNIQUE_TAG = re.compile(r"^t(\d{4})(?:\.(\d{3}))?$")
_TACTIC_ID_TAG = re.compile(r"^ta(\d{4})$")
_TACTIC_BY_ID = {uid: (key, name) for key, (uid, name) in TACTICS.items()}


@dataclass(frozen=True, slots=True)
class Tactic:
    key: str  # the tag's spelling, normalized: privilege_escalation
    uid: str | None
    name: str

    @property
    def url(self) -> str | None:
        return f"https://attack.mitre.org/tactics/{self.uid}/" if self.uid else None


@dataclass(frozen=True, slots=True)
class Technique:
    uid: str  # T1078 or T1078.004
    name: str | None

    @property
    def parent(self) -> str:
        return self.uid.split(".", 1)[0]

    @property
    def is_sub(self) -> bool:
        return "." in self.uid

    @property
    def url(self) -> str:
        return "https://attack.mitre.org/techniques/" + self.uid.replace(".", "/") + "/"


@dataclass(frozen=True, slots=True)
class Attack:
    tactics: tuple[Tactic, ...]
    techniques: tuple[Technique, ...]

    def __bool__(self) -> bool:
        return bool(self.tactics or self.techniques)


def technique(uid: str) -> Technique:
    return Technique(uid, TECHNIQUES.get(uid))


def read_tags(tags: Iterable[object]) -> Attack:
    """The tactics and techniques a rule's tags name, in tag order, without repeats."""
    tactics: dict[str, Tactic] = {}
    techniques: dict[str, Technique] = {}
    for tag in tags:
        if not isinstance(tag, str) or not tag.lower().startswith("attack."):
            continue
        word = tag[len("attack.") :].strip().lower().replace("-", "_")
        found = _TECHNIQUE_TAG.match(word)
        if found:
            uid = f"T{found[1]}" + (f".{found[2]}" if found[2] else "")
            techniques.setdefault(uid, technique(uid))
            continue
        tactic = _tactic(word)
        if tactic is not None:
            tactics.setdefault(tactic.key, tactic)
    return Attack(tuple(tactics.values()), tuple(techniques.values()))


def _tactic(word: str) -> Tactic | None:
    by_id = _TACTIC_ID_TAG.match(word)
    if by_id:
        known = _TACTIC_BY_ID.get(f"TA{by_id[1]}")
        return Tactic(known[0], f"TA{by_id[1]}", known[1]) if known else None
    if word in TACTICS:
        uid, name = TACTICS[word]
        return Tactic(word, uid, name)
    if word in TACTICS_WITHOUT_ID:
        return Tactic(word, None, TACTICS_WITHOUT_ID[word])
    return None


# Security Hub's finding-type taxonomy (namespace/category), for ASFF `Types` and OCSF `types`.
_ASFF_TYPE_BY_TACTIC = {
    "reconnaissance": "TTPs/Discovery",
    "resource_development": "Unusual Behaviors/User",
    "initial_access": "TTPs/Initial Access",
    "execution": "TTPs/Execution",
    "persistence": "TTPs/Persistence",
    "privilege_escalation": "TTPs/Privilege Escalation",
    "defense_evasion": "TTPs/Defense Evasion",
    "stealth": "TTPs/Defense Evasion",
    "defense_impairment": "TTPs/Defense Evasion",
    "credential_access": "TTPs/Credential Access",
    "discovery": "TTPs/Discovery",
    "lateral_movement": "TTPs/Lateral Movement",
    "collection": "TTPs/Collection",
    "command_and_control": "TTPs/Command and Control",
    "exfiltration": "Effects/Data Exfiltration",
    "impact": "Effects/Data Destruction",
}
_ASFF_TYPE_BY_IMPACT_TECHNIQUE = {
    "T1496": "Effects/Resource Consumption",
    "T1498": "Effects/Denial of Service",
    "T1499": "Effects/Denial of Service",
}
DEFAULT_FINDING_TYPE = "Software and Configuration Checks/AWS Security Best Practices"


def finding_types(attack: Attack) -> list[str]:
    """Security Hub finding types for the tactics (the impact tactic refined by technique); the
    best-practice namespace when the rule names no tactic."""
    types: list[str] = []
    for tactic in attack.tactics:
        found = _ASFF_TYPE_BY_TACTIC.get(tactic.key)
        if tactic.key == "impact":
            refined = [_ASFF_TYPE_BY_IMPACT_TECHNIQUE.get(t.parent) for t in attack.techniques]
            found = next((r for r in refined if r), found)
        if found and found not in types:
            types.append(found)
    return types or [DEFAULT_FINDING_TYPE]
