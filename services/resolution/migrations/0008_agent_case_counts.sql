-- Issue 12: each agent's cases per status, so that assigning a batch reads its agents' load in a few
-- rows however many cases the tenant has open (it counted every open case per batch: 41 ms a batch at
-- 30k open cases, growing with the tenant). Which statuses are open stays the caller's parameter.
CREATE TABLE agent_case_counts (
    tenant_id uuid NOT NULL,
    agent_id  uuid NOT NULL,
    status    smallint NOT NULL,
    cases     integer NOT NULL,
    PRIMARY KEY (tenant_id, agent_id, status)
);

-- NOTE: statement triggers with transition tables see the exact row versions a statement wrote and
-- replaced, also when another transaction changed the same case meanwhile. Each written version
-- counts +1, each replaced one -1; an update that changes neither owner nor status nets to nothing
-- and touches no count (so only the statements that assign or move cases lock an agent's row).
CREATE FUNCTION agent_case_counts_apply() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO agent_case_counts (tenant_id, agent_id, status, cases)
        SELECT tenant_id, owner_agent_id, status, sum(n)
        FROM (SELECT tenant_id, owner_agent_id, status, 1 AS n FROM new_cases) AS d
        WHERE owner_agent_id IS NOT NULL
        GROUP BY 1, 2, 3
        HAVING sum(n) <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT (tenant_id, agent_id, status) DO UPDATE SET cases = agent_case_counts.cases + EXCLUDED.cases;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO agent_case_counts (tenant_id, agent_id, status, cases)
        SELECT tenant_id, owner_agent_id, status, sum(n)
        FROM (SELECT tenant_id, owner_agent_id, status, -1 AS n FROM old_cases) AS d
        WHERE owner_agent_id IS NOT NULL
        GROUP BY 1, 2, 3
        HAVING sum(n) <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT (tenant_id, agent_id, status) DO UPDATE SET cases = agent_case_counts.cases + EXCLUDED.cases;
    ELSE
        INSERT INTO agent_case_counts (tenant_id, agent_id, status, cases)
        SELECT tenant_id, owner_agent_id, status, sum(n)
        FROM (SELECT tenant_id, owner_agent_id, status, 1 AS n FROM new_cases
              UNION ALL SELECT tenant_id, owner_agent_id, status, -1 AS n FROM old_cases) AS d
        WHERE owner_agent_id IS NOT NULL
        GROUP BY 1, 2, 3
        HAVING sum(n) <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT (tenant_id, agent_id, status) DO UPDATE SET cases = agent_case_counts.cases + EXCLUDED.cases;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER agent_case_counts_insert AFTER INSERT ON cases
    REFERENCING NEW TABLE AS new_cases FOR EACH STATEMENT EXECUTE FUNCTION agent_case_counts_apply();
CREATE TRIGGER agent_case_counts_update AFTER UPDATE ON cases
    REFERENCING OLD TABLE AS old_cases NEW TABLE AS new_cases FOR EACH STATEMENT EXECUTE FUNCTION agent_case_counts_apply();
CREATE TRIGGER agent_case_counts_delete AFTER DELETE ON cases
    REFERENCING OLD TABLE AS old_cases FOR EACH STATEMENT EXECUTE FUNCTION agent_case_counts_apply();

INSERT INTO agent_case_counts (tenant_id, agent_id, status, cases)
SELECT tenant_id, owner_agent_id, status, count(*) FROM cases WHERE owner_agent_id IS NOT NULL GROUP BY 1, 2, 3;
