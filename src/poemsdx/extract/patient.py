"""Age and sex of the patient, as case reports and notes write them.

"57歳男性", "57 歳，男性", "患者女，55岁", "性别：男 年龄：53岁", "A 57-year-old man",
"62F", "Age/Sex: 66/M", "Sex: M Age: 55". The first statement in the patient's sections
counts (a later "his 80-year-old mother" is family history); an age above 120 is not one.
"""

from __future__ import annotations

import re

from ..model import Patient

_RE_DEMOGRAPHICS = re.compile(
    r"(?P<age>\d{1,3})\s?(?:歳|岁|才)\s?(?:の)?\s?[，,、]?\s?(?P<sex>男性|女性|男|女)"
    r"|(?P<sex2>男性|女性|男|女)\s?[，,、]?\s?(?P<age2>\d{1,3})\s?(?:歳|岁)"
    r"|(?P<age3>\d{1,3})[- ](?:year|yr)s?[- ]old\s"
    r"(?P<sex3>man|woman|male|female|boy|girl|gentleman|lady)"
    r"|\b(?P<age4>\d{1,3})\s?(?:y/?o\s?|yo\s|-?years?-old\s)?(?P<sex4>M|F|male|female)\b"
    r"|(?:性别|性別)\s?[:：]\s?(?P<sex5>男|女)\s*(?:年龄|年齢)\s?[:：]\s?(?P<age5>\d{1,3})"
    r"|(?:年龄|年齢)\s?[:：]\s?(?P<age6>\d{1,3})\s?(?:歳|岁)?\s*(?:性别|性別)\s?[:：]\s?(?P<sex6>男|女)"
    r"|\bSex\s?:\s?(?P<sex7>M|F|Male|Female)\b\s*Age\s?:\s?(?P<age7>\d{1,3})"
    r"|\bAge\s?:\s?(?P<age8>\d{1,3})\s*Sex\s?:\s?(?P<sex8>M|F|Male|Female)\b"
    r"|\b(?:Age/Sex|Age / Sex)\s?:\s?(?P<age9>\d{1,3})\s?/\s?(?P<sex9>M|F|Male|Female)\b",
    re.I,
)
_MALE = ("男性", "男", "man", "male", "boy", "gentleman", "m")
_FEMALE = ("女性", "女", "woman", "female", "girl", "lady", "f")
_SEX = {**{w: "male" for w in _MALE}, **{w: "female" for w in _FEMALE}}


def find_patient(text: str, ranges: list[tuple[int, int]]) -> Patient:
    """The patient's demographics from the first statement of them in ``ranges``."""
    for start, end in ranges:
        m = _RE_DEMOGRAPHICS.search(text, start, end)
        if m is None:
            continue
        g = m.groupdict()
        age = next((g[k] for k in g if k.startswith("age") and g[k]), None)
        sex = _SEX.get(next((g[k] for k in g if k.startswith("sex") and g[k]), "").lower())
        years = float(age) if age and int(age) <= 120 else None
        return Patient(age=years, sex=sex)
    return Patient()
