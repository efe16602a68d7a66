-- One learner per name in a workshop, whatever the case: `join` checks it first, and this index
-- makes two joins at the same moment unable to both insert the same name. A duplicate that such
-- a race made before this migration keeps its row and gets its id appended to its name.
UPDATE learners SET name = name || ' ' || id
WHERE EXISTS (
    SELECT 1 FROM learners o
    WHERE o.workshop_id = learners.workshop_id
      AND lower(o.name) = lower(learners.name)
      AND (o.joined_at < learners.joined_at OR (o.joined_at = learners.joined_at AND o.id < learners.id))
);

CREATE UNIQUE INDEX learners_workshop_name ON learners (workshop_id, lower(name));
