from rest_framework.routers import DefaultRouter

from regions.api import AgencyViewSet, CountyViewSet, RegionViewSet, TribeViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("counties", CountyViewSet, basename="county")
router.register("tribes", TribeViewSet, basename="tribe")
router.register("agencies", AgencyViewSet, basename="agency")

urlpatterns = router.urls
