from piccolo.columns import Boolean, Float, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.cases.tables import Case, TimelineEntry


class Photo(Table, tablename="photo"):
    # Random, unguessable: a photo uploaded before its form is sent is claimed by this key.
    key = Varchar(length=32, unique=True, index=True)
    case = ForeignKey(references=Case, null=True, default=None, index=True)
    timeline_entry = ForeignKey(references=TimelineEntry, null=True, default=None)
    position = Integer(default=0)
    # The files as uploaded (stripped and resized); staff always see these.
    display_sha256 = Varchar(length=64, index=True)
    display_width = Integer()
    display_height = Integer()
    thumb_sha256 = Varchar(length=64, index=True)
    thumb_width = Integer()
    thumb_height = Integer()
    # From the upload's EXIF GPS, before stripping; offered to the filer as the case's place.
    gps_latitude = Float(null=True, default=None)
    gps_longitude = Float(null=True, default=None)
    created_at = Timestamptz()
    # Moderation: a photo hidden from everyone but staff, or regions of it blacked out. The public
    # then gets a derivative rendered from the original; the original is withheld from /media.
    hidden = Boolean(default=False)
    blacked_out = Text(default="[]")  # JSON list of [x, y, width, height] fractions of the image
    public_display_sha256 = Varchar(length=64, default="")
    public_thumb_sha256 = Varchar(length=64, default="")
