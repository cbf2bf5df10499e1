from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tongzhou.geo.models import Region


class Gender(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class LivingArrangement(models.TextChoices):
    ALONE = "alone", _("lives alone (独居)")
    EMPTY_NEST = "empty_nest", _("elderly couple only (空巢)")
    WITH_FAMILY = "with_family", _("with family")
    INSTITUTION = "institution", _("in a care institution")
    OTHER = "other", _("other")


class ElderStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    MOVED_AWAY = "moved_away", _("moved away")
    DECEASED = "deceased", _("deceased")


class Category(models.Model):
    """A recognised category (低保, 特困供养, 失能 …). Data, not code: the bureau can add more."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=30)
    name_en = models.CharField(_("English name"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("elder category")
        verbose_name_plural = _("elder categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name_zh


class ElderQuerySet(models.QuerySet["Elder"]):
    def active(self) -> ElderQuerySet:
        return self.filter(status=ElderStatus.ACTIVE)


class Elder(models.Model):
    """An older person on the register. The ID number is stored encrypted, with a keyed hash
    for exact lookup and a masked copy for display; the phone likewise."""

    name = models.CharField(_("name"), max_length=40)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    id_number_encrypted = models.TextField(_("ID number (encrypted)"))
    id_number_hash = models.CharField(_("ID number lookup hash"), max_length=64, unique=True)
    id_number_masked = models.CharField(_("ID number"), max_length=18)
    birth_date = models.DateField(_("birth date"), db_index=True)
    phone_encrypted = models.TextField(_("phone (encrypted)"), blank=True)
    phone_hash = models.CharField(_("phone lookup hash"), max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)
    residence = models.ForeignKey(
        Region,
        verbose_name=_("residence (village / community)"),
        on_delete=models.PROTECT,
        related_name="resident_elders",
        limit_choices_to={"level": "village"},
    )
    address = models.CharField(_("address"), max_length=120, blank=True)
    hukou_region = models.ForeignKey(
        Region,
        verbose_name=_("household registration (户籍)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registered_elders",
        help_text=_("Empty when registered outside Zhoushan."),
    )
    hukou_note = models.CharField(_("household registration note"), max_length=80, blank=True)
    living_arrangement = models.CharField(
        _("living arrangement"),
        max_length=12,
        choices=LivingArrangement.choices,
        default=LivingArrangement.WITH_FAMILY,
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ElderStatus.choices, default=ElderStatus.ACTIVE
    )
    moved_on = models.DateField(_("moved away on"), null=True, blank=True)
    died_on = models.DateField(_("died on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ElderQuerySet.as_manager()

    class Meta:
        verbose_name = _("elder")
        verbose_name_plural = _("elders")
        ordering = ["id"]
        indexes = [models.Index(fields=["residence", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="deceased") | Q(died_on__isnull=False),
                name="elder_deceased_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="moved_away") | Q(moved_on__isnull=False),
                name="elder_moved_has_date",
            ),
            models.CheckConstraint(
                condition=Q(died_on__isnull=True) | Q(died_on__gte=F("birth_date")),
                name="elder_died_after_birth",
            ),
            models.CheckConstraint(condition=Q(gender__in=["M", "F"]), name="elder_gender_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class CategoryMembership(models.Model):
    """An elder belongs to a category from `valid_from` to `valid_to` (inclusive; open-ended
    when empty). Ending a membership keeps the history."""

    elder = models.ForeignKey(
        Elder, verbose_name=_("elder"), on_delete=models.CASCADE, related_name="memberships"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="memberships"
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    # The comprehensive ability assessment (能力综合评估, GB/T 42195-2022): 0 capable,
    # 1 mildly, 2 moderately, 3 severely, 4 completely disabled. Kept where one was made.
    assessment_level = models.PositiveSmallIntegerField(
        _("assessment level"), null=True, blank=True
    )
    note = models.CharField(_("note"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("category membership")
        verbose_name_plural = _("category memberships")
        ordering = ["elder", "category", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["elder", "category", "valid_from"], name="membership_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="membership_valid_range",
            ),
            models.CheckConstraint(
                condition=Q(assessment_level__isnull=True) | Q(assessment_level__lte=4),
                name="membership_assessment_level",
            ),
        ]
        indexes = [models.Index(fields=["category", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.elder} · {self.category}"

    def is_valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def valid_on_q(day: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}valid_from__lte": day}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": day})
    )
