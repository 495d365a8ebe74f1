from rest_framework.routers import DefaultRouter

from cases.api import CaseViewSet, ReferralViewSet
from protocols.api import ProtocolVersionViewSet
from regions.api import AgencyViewSet, CountyViewSet, RegionViewSet, TribeViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("counties", CountyViewSet, basename="county")
router.register("tribes", TribeViewSet, basename="tribe")
router.register("agencies", AgencyViewSet, basename="agency")
router.register("referrals", ReferralViewSet, basename="referral")
router.register("cases", CaseViewSet, basename="case")
router.register("protocols", ProtocolVersionViewSet, basename="protocol")

urlpatterns = router.urls
