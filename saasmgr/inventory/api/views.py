from rest_framework import viewsets

from saasmgr.inventory import filtersets
from saasmgr.inventory.api import serializers
from saasmgr.inventory.models import Application, Category, Department, Person, Vendor


class VendorViewSet(viewsets.ModelViewSet):
    queryset = Vendor.objects.prefetch_related("aliases").order_by("name")
    serializer_class = serializers.VendorSerializer
    filterset_class = filtersets.VendorFilterSet
    ordering_fields = ["name", "created_at", "updated_at"]


class CategoryViewSet(viewsets.ModelViewSet):
    queryset = Category.objects.order_by("name")
    serializer_class = serializers.CategorySerializer
    filterset_class = filtersets.CategoryFilterSet
    ordering_fields = ["name"]


class DepartmentViewSet(viewsets.ModelViewSet):
    queryset = Department.objects.order_by("name")
    serializer_class = serializers.DepartmentSerializer
    filterset_class = filtersets.DepartmentFilterSet
    ordering_fields = ["name", "cost_centre"]


class PersonViewSet(viewsets.ModelViewSet):
    queryset = Person.objects.prefetch_related("aliases").order_by("name")
    serializer_class = serializers.PersonSerializer
    filterset_class = filtersets.PersonFilterSet
    ordering_fields = ["name", "email", "start_date", "termination_date"]


class ApplicationViewSet(viewsets.ModelViewSet):
    queryset = Application.objects.select_related("vendor", "category").order_by("name")
    serializer_class = serializers.ApplicationSerializer
    filterset_class = filtersets.ApplicationFilterSet
    ordering_fields = ["name", "status", "first_seen", "created_at"]
