-- Made in bench/graph.py's scratch database so that PostGraphile exposes a step's action name
-- (a jsonb sub-field) as the field `actionName` of `Step`. Stable SQL: inlined by PostgreSQL.
CREATE OR REPLACE FUNCTION steps_action_name(step steps) RETURNS text
  LANGUAGE sql STABLE STRICT PARALLEL SAFE
  AS $$ SELECT step.action ->> 'name' $$;
