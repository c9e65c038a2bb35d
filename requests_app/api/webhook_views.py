"""Webhook subscriptions through the API (scope ``webhooks:manage``), by the staff UI's services."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from requests_app.api.auth import caller_actor
from requests_app.api.errors import error_responses
from requests_app.api.views import ApiView
from requests_app.models import ApiScope, EventKind, WebhookSubscription
from requests_app.webhooks import subscriptions

if TYPE_CHECKING:
    from rest_framework.request import Request

ID = OpenApiParameter("subscription_id", OpenApiTypes.INT, OpenApiParameter.PATH)


class SubscriptionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventKind.choices))
    is_active = serializers.BooleanField()
    disabled_at = serializers.DateTimeField(allow_null=True)
    disabled_reason = serializers.CharField()
    consecutive_failures = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class SubscriptionWithSecretSerializer(SubscriptionSerializer):
    secret = serializers.CharField(help_text="whsec_...: shown only in this answer; sign-checking key.")


class SubscriptionCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    url = serializers.CharField(max_length=2000, help_text="https://, on a public address.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventKind.choices), min_length=1)


class SubscriptionUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, required=False)
    url = serializers.CharField(max_length=2000, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventKind.choices), min_length=1, required=False
    )
    is_active = serializers.BooleanField(required=False)


class SecretSerializer(serializers.Serializer[Any]):
    secret = serializers.CharField(help_text="The new secret; the old one still signs for 24 hours.")


def _with_secret(subscription: WebhookSubscription, secret: str) -> dict[str, Any]:
    return {**SubscriptionSerializer(subscription).data, "secret": secret}


class WebhooksView(ApiView):
    required_scope: ClassVar[str | None] = ApiScope.WEBHOOKS_MANAGE

    @extend_schema(
        operation_id="webhooks_list",
        summary="List webhook subscriptions",
        responses={200: SubscriptionSerializer(many=True), **error_responses()},
    )
    def get(self, request: Request) -> Response:
        return Response(SubscriptionSerializer(WebhookSubscription.objects.order_by("id"), many=True).data)

    @extend_schema(
        operation_id="webhooks_create",
        summary="Subscribe a URL to events (the secret is in this answer only)",
        request=SubscriptionCreateSerializer,
        responses={201: SubscriptionWithSecretSerializer, **error_responses(415)},
    )
    def post(self, request: Request) -> Response:
        body = SubscriptionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        subscription, secret = subscriptions.webhook_subscription_create(
            actor=caller_actor(request), **body.validated_data
        )
        return Response(_with_secret(subscription, secret), status=status.HTTP_201_CREATED)


class WebhookView(ApiView):
    required_scope: ClassVar[str | None] = ApiScope.WEBHOOKS_MANAGE

    @extend_schema(
        operation_id="webhooks_retrieve",
        summary="One subscription",
        parameters=[ID],
        responses={200: SubscriptionSerializer, **error_responses(404)},
    )
    def get(self, request: Request, subscription_id: int) -> Response:
        return Response(SubscriptionSerializer(get_object_or_404(WebhookSubscription, pk=subscription_id)).data)

    @extend_schema(
        operation_id="webhooks_update",
        summary="Change a subscription (or enable/disable it with is_active)",
        request=SubscriptionUpdateSerializer,
        parameters=[ID],
        responses={200: SubscriptionSerializer, **error_responses(404, 415)},
    )
    def patch(self, request: Request, subscription_id: int) -> Response:
        subscription = get_object_or_404(WebhookSubscription, pk=subscription_id)
        body = SubscriptionUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        subscriptions.webhook_subscription_update(
            subscription=subscription, actor=caller_actor(request), **body.validated_data
        )
        subscription.refresh_from_db()
        return Response(SubscriptionSerializer(subscription).data)

    @extend_schema(
        operation_id="webhooks_delete",
        summary="Delete a subscription (its deliveries' record goes with it)",
        parameters=[ID],
        responses={204: OpenApiResponse(description="Deleted."), **error_responses(404)},
    )
    def delete(self, request: Request, subscription_id: int) -> Response:
        subscription = get_object_or_404(WebhookSubscription, pk=subscription_id)
        subscriptions.webhook_subscription_delete(subscription=subscription, actor=caller_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookSecretView(ApiView):
    required_scope: ClassVar[str | None] = ApiScope.WEBHOOKS_MANAGE

    @extend_schema(
        operation_id="webhooks_rotate_secret",
        summary="Give a subscription a new secret",
        request=None,
        parameters=[ID],
        responses={200: SecretSerializer, **error_responses(404)},
    )
    def post(self, request: Request, subscription_id: int) -> Response:
        subscription = get_object_or_404(WebhookSubscription, pk=subscription_id)
        secret = subscriptions.webhook_secret_rotate(subscription=subscription, actor=caller_actor(request))
        return Response({"secret": secret})
