from django.urls import path
from rest_framework.routers import DefaultRouter

from cases.api import CaseViewSet, ReferralViewSet
from hubnet.account import CurrentToken, TokenDetail, TokenList
from protocols.api import ProtocolVersionViewSet
from regions.api import AgencyViewSet, CountyViewSet, RegionViewSet, TribeViewSet
from regions.directory_api import ProviderViewSet
from regions.figures_api import FigureList, MetricList, RollupRunViewSet
from training.api import TrainingViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("counties", CountyViewSet, basename="county")
router.register("tribes", TribeViewSet, basename="tribe")
router.register("agencies", AgencyViewSet, basename="agency")
router.register("providers", ProviderViewSet, basename="provider")
router.register("referrals", ReferralViewSet, basename="referral")
router.register("cases", CaseViewSet, basename="case")
router.register("protocols", ProtocolVersionViewSet, basename="protocol")
router.register("rollup-runs", RollupRunViewSet, basename="rollup-run")
router.register("trainings", TrainingViewSet, basename="training")

urlpatterns = [
    path("figures/", FigureList.as_view(), name="figure-list"),
    path("metrics/", MetricList.as_view(), name="metric-list"),
    path("auth/tokens/", TokenList.as_view(), name="auth-token-list"),
    path("auth/tokens/<str:token_key>/", TokenDetail.as_view(), name="auth-token-detail"),
    path("auth/token/", CurrentToken.as_view(), name="auth-token-current"),
    *router.urls,
]
