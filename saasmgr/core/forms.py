from django import forms
from django.conf import settings

from saasmgr.core.imports.base import Importer
from saasmgr.core.imports.columns import IGNORE, HeaderMatch
from saasmgr.core.imports.registry import importers_for

ACCEPTED_FILES = ".csv,.tsv,.txt,.xlsx"


class ImportUploadForm(forms.Form):
    importer = forms.ChoiceField(label="What the file holds")
    file = forms.FileField(label="File")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.importers = {importer.key(): importer for importer in importers_for(user)}
        self.fields["importer"].choices = [("", "Choose the kind and format of the file")] + [
            (key, importer.label()) for key, importer in self.importers.items()
        ]
        limit_mb = settings.IMPORT_MAX_UPLOAD_BYTES / 1_048_576
        self.fields[
            "file"
        ].help_text = f"CSV (any delimiter, UTF-8 or Windows-1252) or Excel .xlsx, at most {limit_mb:.0f} MB."
        self.fields["file"].widget.attrs["accept"] = ACCEPTED_FILES

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size / 1_048_576:.1f} MB; at most {limit / 1_048_576:.1f} MB can be imported."
            )
        return upload

    @property
    def importer_class(self) -> type[Importer]:
        return self.importers[self.cleaned_data["importer"]]


class ColumnMappingForm(forms.Form):
    """One select per header of the file: which column it fills, or none."""

    def __init__(self, *args, match: HeaderMatch, automatic: HeaderMatch, **kwargs):
        super().__init__(*args, **kwargs)
        self.automatic = automatic
        choices = [(IGNORE, "— not imported —")] + [
            (column.name, f"{column.name} (required)" if column.required else column.name) for column in match.columns
        ]
        current = {header: column.name for header, column in match.matched}
        self.headers: dict[str, str] = {}
        for index, header in enumerate(match.headers):
            if not header.strip():
                continue
            name = f"map_{index}"
            self.headers[name] = header
            self.fields[name] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=current.get(header, IGNORE)
            )

    def mapping(self) -> dict[str, str]:
        """The choices that differ from the automatic match; a select missing from the
        submitted form keeps its current choice."""
        automatic = {header: column.name for header, column in self.automatic.matched}
        chosen = {
            header: self.cleaned_data[name] if name in self.data else self.fields[name].initial
            for name, header in self.headers.items()
        }
        return {header: column for header, column in chosen.items() if column != automatic.get(header, IGNORE)}
