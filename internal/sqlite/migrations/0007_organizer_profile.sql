-- The organizer's public profile, as buyers see it on the shop's pages.
-- '' where it names nothing; the projector fills them from
-- admit.organizer.profile_updated.v1 (an organizer's name changes with it).
ALTER TABLE organizers ADD COLUMN contact_email TEXT NOT NULL DEFAULT '';
ALTER TABLE organizers ADD COLUMN website TEXT NOT NULL DEFAULT '';
ALTER TABLE organizers ADD COLUMN terms_url TEXT NOT NULL DEFAULT '';
ALTER TABLE organizers ADD COLUMN privacy_url TEXT NOT NULL DEFAULT '';
-- Its logo: a PNG admit made (admit.organizer.logo_set.v1), and its
-- SHA-256 in hex, its name in links; empty for none.
ALTER TABLE organizers ADD COLUMN logo_png BLOB NOT NULL DEFAULT x'';
ALTER TABLE organizers ADD COLUMN logo_sha TEXT NOT NULL DEFAULT '';
