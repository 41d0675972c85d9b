-- Holds leave the read model. The box office keeps every hold of a loaded
-- event in memory and answers reads of them itself, and the ledger has
-- them all; organizers read counts and orders here. Projecting a row per
-- hold cost the on-sale a third of a node's CPU, for a table only tests
-- read. Orders keep naming their hold (orders.hold_id, a plain column).
--
-- Nothing else is lost: the other tables and the position stay, and the
-- projector goes on from there.
DROP TABLE holds;
