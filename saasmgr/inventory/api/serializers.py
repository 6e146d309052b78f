from rest_framework import serializers

from saasmgr.inventory.models import Application, Category, Department, Person, Vendor


class VendorSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:vendor-detail")
    aliases = serializers.SlugRelatedField(many=True, read_only=True, slug_field="alias")

    class Meta:
        model = Vendor
        fields = ["id", "url", "name", "website", "notes", "aliases", "created_at", "updated_at"]


class CategorySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:category-detail")

    class Meta:
        model = Category
        fields = ["id", "url", "name", "description", "created_at", "updated_at"]


class DepartmentSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:department-detail")

    class Meta:
        model = Department
        fields = ["id", "url", "name", "parent", "cost_centre", "created_at", "updated_at"]

    def validate_parent(self, parent):
        node = parent
        while node is not None and self.instance is not None:
            if node.pk == self.instance.pk:
                raise serializers.ValidationError("A department cannot sit under itself or its own sub-department.")
            node = node.parent
        return parent


class PersonSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:person-detail")
    aliases = serializers.SlugRelatedField(many=True, read_only=True, slug_field="value")

    class Meta:
        model = Person
        fields = [
            "id",
            "url",
            "employee_id",
            "email",
            "name",
            "job_title",
            "department",
            "manager",
            "status",
            "employment_type",
            "start_date",
            "termination_date",
            "aliases",
            "created_at",
            "updated_at",
        ]

    def validate_email(self, email):
        clash = Person.objects.filter(email__iexact=email)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("Another person already has this email.")
        return email

    def validate(self, attrs):
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("termination_date", getattr(self.instance, "termination_date", None))
        if start and end and end < start:
            raise serializers.ValidationError({"termination_date": "The termination date is before the start date."})
        return attrs


class ApplicationSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:application-detail")
    vendor_name = serializers.CharField(source="vendor.name", read_only=True, default=None)
    category_name = serializers.CharField(source="category.name", read_only=True, default=None)

    class Meta:
        model = Application
        fields = [
            "id",
            "url",
            "name",
            "vendor",
            "vendor_name",
            "category",
            "category_name",
            "status",
            "business_owner",
            "it_owner",
            "discovery_source",
            "first_seen",
            "website",
            "description",
            "created_at",
            "updated_at",
        ]
