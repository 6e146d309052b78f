from django import forms
from django.core.exceptions import ValidationError

from saasmgr.inventory.choices import PersonStatus
from saasmgr.inventory.models import Application, Category, Department, Person, Vendor


class PersonByEmailField(forms.ModelChoiceField):
    """Picks a person by email: a select of every person would not scale to 50,000."""

    widget = forms.EmailInput

    def __init__(self, **kwargs):
        super().__init__(queryset=Person.objects.all(), to_field_name="email", **kwargs)
        self.error_messages["invalid_choice"] = (
            "No person has this email. Check the spelling, or add them under People first."
        )

    def prepare_value(self, value):
        if isinstance(value, Person):
            return value.email
        if isinstance(value, int):
            return Person.objects.filter(pk=value).values_list("email", flat=True).first()
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        person = Person.objects.filter(email__iexact=value.strip()).first()
        if person is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return person


def website_field() -> forms.URLField:
    # "example.com" typed without a scheme means https, as browsers assume (and Django 6 will).
    return forms.URLField(required=False, max_length=200, assume_scheme="https")


class VendorForm(forms.ModelForm):
    website = website_field()

    class Meta:
        model = Vendor
        fields = ["name", "website", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "parent", "cost_centre"]

    def clean_parent(self):
        parent = self.cleaned_data["parent"]
        if parent and self.instance.pk:
            node = parent
            while node is not None:
                if node.pk == self.instance.pk:
                    raise ValidationError("A department cannot sit under itself or one of its own sub-departments.")
                node = node.parent
        return parent


class PersonForm(forms.ModelForm):
    manager = PersonByEmailField(required=False, help_text="The manager's email.")

    class Meta:
        model = Person
        fields = [
            "name",
            "email",
            "employee_id",
            "job_title",
            "department",
            "manager",
            "status",
            "employment_type",
            "start_date",
            "termination_date",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "termination_date": forms.DateInput(attrs={"type": "date"}),
        }

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        clash = Person.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).first()
        if clash:
            raise ValidationError(f"{clash.name} already has this email.")
        return email

    def clean_employee_id(self):
        return self.cleaned_data["employee_id"] or None

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("termination_date")
        if start and end and end < start:
            self.add_error("termination_date", "The termination date is before the start date.")
        if cleaned.get("status") == PersonStatus.TERMINATED and not end:
            self.add_error("termination_date", "A terminated person needs a termination date.")
        if cleaned.get("manager") and self.instance.pk and cleaned["manager"].pk == self.instance.pk:
            self.add_error("manager", "A person cannot be their own manager.")
        return cleaned


class ApplicationForm(forms.ModelForm):
    business_owner = PersonByEmailField(required=False, help_text="Email of the business owner.")
    it_owner = PersonByEmailField(required=False, label="IT owner", help_text="Email of the IT owner.")
    website = website_field()

    class Meta:
        model = Application
        fields = [
            "name",
            "vendor",
            "category",
            "status",
            "business_owner",
            "it_owner",
            "discovery_source",
            "first_seen",
            "website",
            "description",
        ]
        widgets = {
            "first_seen": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"discovery_source": "Discovered via"}
