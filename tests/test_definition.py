"""The definition format without a database: what parses, what is refused and why."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from schema_builder.definition import (
    EntityConfiguration,
    RelationDefinition,
    Transformation,
    entry_to_dict,
    parse_entries,
    parse_entry,
)
from schema_builder.errors import ConfigurationError, Problem
from schema_builder.reflection import suggest_alias


def field(
    name: str,
    kind: str = "string",
    *,
    visible: str | None = None,
    creatable: bool = True,
    editable: bool = True,
    **validation: Any,
) -> dict[str, Any]:
    validation.setdefault("isRequired", False)
    return {
        "fieldName": name,
        "fieldVisibleName": visible or name,
        "type": kind,
        "isCreatable": creatable,
        "isEditable": editable,
        "validation": validation,
    }


def spryker_country() -> dict[str, Any]:
    """The shape of Spryker's own installer example (DynamicEntityConfig.php and the docs)."""
    return {
        "tableName": "spy_country",
        "tableAlias": "countries",
        "isActive": True,
        "definition": {
            "identifier": "id_country",
            "isDeletable": False,
            "fields": [
                field("id_country", "integer", creatable=False, editable=False),
                field("iso2_code", isRequired=True, minLength=1, maxLength=2),
                field("iso3_code", isRequired=True, minLength=2, maxLength=3),
                field("name", isRequired=True, maxLength=255),
                field("postal_code_mandatory", "boolean"),
            ],
        },
        "childRelations": [
            {
                "name": "countryStores",
                "isEditable": True,
                "childDynamicEntityConfiguration": {"tableAlias": "country-stores"},
                "relationFieldMappings": [
                    {"childFieldName": "fk_country", "parentFieldName": "id_country"}
                ],
            }
        ],
    }


def with_fields(*fields: dict[str, Any], identifier: str = "id") -> dict[str, Any]:
    """A minimal valid entry around the given fields (an integer `id` identifier first)."""
    return {
        "tableName": "thing",
        "tableAlias": "things",
        "isActive": True,
        "definition": {
            "identifier": identifier,
            "fields": [field("id", "integer", creatable=False, editable=False), *fields],
        },
    }


def problems_of(entry: Any) -> tuple[Problem, ...]:
    with pytest.raises(ConfigurationError) as raised:
        parse_entry(entry)
    return raised.value.problems


def only_problem(entry: Any, containing: str) -> Problem:
    matching = [p for p in problems_of(entry) if containing in p.message]
    assert len(matching) == 1, matching
    return matching[0]


# --- valid entries -------------------------------------------------------------------------


def test_spryker_example_entry_parses_into_configuration() -> None:
    config = parse_entry(spryker_country())

    assert config.table_name == "spy_country"
    assert config.alias == "countries"
    assert config.is_active is True
    assert config.definition.identifier == "id_country"
    assert config.definition.is_deletable is False
    assert [f.field_name for f in config.definition.fields] == [
        "id_country",
        "iso2_code",
        "iso3_code",
        "name",
        "postal_code_mandatory",
    ]
    id_field, iso2 = config.definition.fields[0], config.definition.fields[1]
    assert (id_field.type, id_field.is_creatable, id_field.is_editable) == ("integer", False, False)
    assert iso2.type == "string"
    assert iso2.validation.is_required is True
    assert (iso2.validation.min_length, iso2.validation.max_length) == (1, 2)
    assert config.relations == (
        RelationDefinition(
            name="countryStores",
            kind="hasMany",
            target="country-stores",
            child_field="fk_country",
            parent_field="id_country",
            is_editable=True,
        ),
    )


def test_definition_stored_as_json_text_parses_like_an_object() -> None:
    entry = spryker_country()
    as_text = {**entry, "definition": json.dumps(entry["definition"])}

    assert parse_entry(as_text) == parse_entry(entry)


def test_spryker_metadata_keys_are_read_and_example_list_is_joined() -> None:
    described = {
        **field("iso2_code", isRequired=True),
        "description": "Two-letter code",
        "examples": ["DE", "AT"],
        "enumValues": "DE, AT",
    }
    config = parse_entry(with_fields(described))

    iso2 = config.definition.fields[1]
    assert iso2.description == "Two-letter code"
    assert iso2.examples == "DE, AT"
    assert iso2.enum_values == "DE, AT"


def test_field_with_is_enabled_false_is_dropped_from_the_definition() -> None:
    config = parse_entry(with_fields(field("name"), {**field("secret"), "isEnabled": False}))

    assert [f.field_name for f in config.definition.fields] == ["id", "name"]


def test_inactive_is_the_default_and_is_deletable_defaults_to_false() -> None:
    entry = with_fields(field("name"))
    del entry["isActive"]

    config = parse_entry(entry)

    assert config.is_active is False
    assert config.definition.is_deletable is False


def test_dexgate_types_need_no_is_required() -> None:
    entry = with_fields(
        {"fieldName": "weight", "fieldVisibleName": "weight", "type": "float"},
        {"fieldName": "born", "fieldVisibleName": "born", "type": "date"},
        {"fieldName": "seen_at", "fieldVisibleName": "seen_at", "type": "datetime"},
        {"fieldName": "extra", "fieldVisibleName": "extra", "type": "json"},
    )
    for raw in entry["definition"]["fields"][1:]:
        raw.update(isCreatable=True, isEditable=True)

    config = parse_entry(entry)

    assert [f.type for f in config.definition.fields] == [
        "integer",
        "float",
        "date",
        "datetime",
        "json",
    ]
    assert all(not f.validation.is_required for f in config.definition.fields)


def test_dexgate_validation_pattern_and_enum_are_read() -> None:
    config = parse_entry(
        with_fields(
            field("code", pattern="^[A-Z]{2}$"),
            field("status", enum=["new", "done"], isRequired=True),
        )
    )

    code, status = config.definition.fields[1:]
    assert code.validation.pattern == "^[A-Z]{2}$"
    assert status.validation.enum == ("new", "done")
    assert status.validation.is_required is True


def test_transformations_are_read_in_order_with_default_value() -> None:
    raw = {
        **field("email"),
        "transformations": ["trim", {"name": "lowercase"}, {"name": "default", "value": "x@y"}],
    }
    config = parse_entry(with_fields(raw, {**field("code"), "transformations": ["uppercase"]}))

    email, code = config.definition.fields[1:]
    assert email.transformations == (
        Transformation("trim"),
        Transformation("lowercase"),
        Transformation("default", "x@y"),
    )
    assert code.transformations == (Transformation("uppercase"),)


def test_parent_relations_become_belongs_to_and_graphql_name_is_kept() -> None:
    entry = with_fields(field("category_id", "integer"))
    entry["definition"]["graphqlName"] = "Gadget"
    entry["parentRelations"] = [
        {
            "name": "category",
            "isEditable": False,
            "parentDynamicEntityConfiguration": {"tableAlias": "categories"},
            "relationFieldMappings": [{"childFieldName": "category_id", "parentFieldName": "id"}],
        }
    ]

    config = parse_entry(entry)

    assert config.definition.graphql_name == "Gadget"
    assert config.relations == (
        RelationDefinition("category", "belongsTo", "categories", "category_id", "id", False),
    )


def test_parse_entries_reads_every_entry_of_an_installer_file() -> None:
    configs = parse_entries([spryker_country(), with_fields(field("name"))])

    assert [c.alias for c in configs] == ["countries", "things"]


# --- round trip ----------------------------------------------------------------------------


def full_entry() -> dict[str, Any]:
    """An entry in canonical export form that uses every addition."""
    return {
        "tableName": "product",
        "tableAlias": "products",
        "isActive": True,
        "definition": {
            "identifier": "id_product",
            "isDeletable": True,
            "graphqlName": "Product",
            "fields": [
                field("id_product", "integer", creatable=False, editable=False, min=1, max=10**9),
                {
                    **field("sku", isRequired=True, minLength=3, maxLength=64, pattern="^[A-Z-]+$"),
                    "transformations": ["trim", "uppercase"],
                    "description": "Stock keeping unit",
                    "examples": "CAM-1, LAP-2",
                },
                field("price", "decimal", isRequired=True, precision=12, scale=2),
                field("weight", "float", min=0.5, max=99.5),
                field("status", enum=["new", "sold"], constraints=[{"name": "url"}]),
                {
                    **field("is_active", "boolean"),
                    "transformations": [{"name": "default", "value": True}],
                    "enumValues": "true, false",
                },
                field("released_on", "date"),
                field("updated_at", "datetime"),
                field("attributes", "json", visible="attrs"),
                field("category_id", "integer"),
            ],
        },
        "childRelations": [
            {
                "name": "stocks",
                "isEditable": True,
                "childDynamicEntityConfiguration": {"tableAlias": "product-stocks"},
                "relationFieldMappings": [
                    {"childFieldName": "product_id", "parentFieldName": "id_product"}
                ],
            }
        ],
        "parentRelations": [
            {
                "name": "category",
                "isEditable": False,
                "parentDynamicEntityConfiguration": {"tableAlias": "categories"},
                "relationFieldMappings": [
                    {"childFieldName": "category_id", "parentFieldName": "id_category"}
                ],
            }
        ],
    }


def test_entry_to_dict_of_parsed_entry_gives_the_entry_back() -> None:
    entry = full_entry()

    assert entry_to_dict(parse_entry(copy.deepcopy(entry))) == entry


def test_spryker_example_survives_export_and_reimport() -> None:
    config = parse_entry(spryker_country())

    exported = entry_to_dict(config)

    assert parse_entry(json.loads(json.dumps(exported))) == config
    assert exported["childRelations"][0]["childDynamicEntityConfiguration"] == {
        "tableAlias": "country-stores"
    }
    assert exported["parentRelations"] == []


# --- static problems -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["type", "fieldName", "fieldVisibleName", "isCreatable", "isEditable"]
)
def test_field_without_required_key_is_refused_naming_entity_field_and_fix(key: str) -> None:
    raw = field("name", isRequired=True)
    del raw[key]

    problem = only_problem(with_fields(raw), f"`{key}` is required")

    assert problem.entity == "things"
    assert problem.field == "name"
    assert problem.fix is not None
    assert key in problem.fix


def test_unknown_type_is_refused_listing_allowed_types() -> None:
    problem = only_problem(with_fields(field("price", "money")), "not supported")

    assert problem.entity == "things"
    assert problem.field == "price"
    assert "'money'" in problem.message
    assert problem.fix is not None
    assert "decimal" in problem.fix
    assert "float" in problem.fix


def test_float_type_from_the_spryker_docs_is_accepted() -> None:
    config = parse_entry(with_fields(field("price", "float")))

    assert config.definition.fields[1].type == "float"


@pytest.mark.parametrize("kind", ["boolean", "decimal", "integer", "string"])
def test_spryker_type_without_is_required_is_refused(kind: str) -> None:
    raw = field("value", kind)
    del raw["validation"]["isRequired"]

    problem = only_problem(with_fields(raw), "isRequired")

    assert problem.entity == "things"
    assert problem.field == "value"
    assert problem.message == f"`validation.isRequired` must be set for {kind} fields."
    assert problem.fix is not None
    assert "isRequired" in problem.fix


@pytest.mark.parametrize(
    ("kind", "rules", "message"),
    [
        ("integer", {"min": 5, "max": 5}, "`min` must be less than `max`."),
        ("integer", {"min": 9, "max": 1}, "`min` must be less than `max`."),
        ("string", {"minLength": 2, "maxLength": 2}, "`minLength` must be less than `maxLength`."),
        ("string", {"minLength": 8, "maxLength": 3}, "`minLength` must be less than `maxLength`."),
        ("decimal", {"precision": 2, "scale": 2}, "`scale` must be less than `precision`."),
        ("decimal", {"precision": 4, "scale": 6}, "`scale` must be less than `precision`."),
    ],
)
def test_inconsistent_bounds_are_refused_with_a_fix(
    kind: str, rules: dict[str, int], message: str
) -> None:
    raw = field("value", kind)
    raw["validation"].update(rules)

    problem = only_problem(with_fields(raw), "must be less than")

    assert problem.message == message
    assert problem.entity == "things"
    assert problem.field == "value"
    assert problem.fix is not None


@pytest.mark.parametrize("kind", ["integer", "string", "decimal"])
def test_consistent_bounds_are_accepted(kind: str) -> None:
    rules = {
        "integer": {"min": 1, "max": 2},
        "string": {"minLength": 1, "maxLength": 2},
        "decimal": {"precision": 3, "scale": 2},
    }[kind]
    raw = field("value", kind)
    raw["validation"].update(rules)

    config = parse_entry(with_fields(raw))

    assert config.definition.fields[1].type == kind


@pytest.mark.parametrize("alias", ["tax rates", "tax/rates", "täx", "rates?x=1"])
def test_alias_outside_the_allowed_characters_is_refused(alias: str) -> None:
    entry = with_fields(field("name"))
    entry["tableAlias"] = alias

    problem = only_problem(entry, "is invalid")

    assert problem.entity == alias
    assert problem.field == "tableAlias"
    assert problem.fix is not None
    assert "^[a-zA-Z0-9_-]+$" in problem.fix


@pytest.mark.parametrize("alias", ["tax-rates", "Tax_Rates", "v2"])
def test_alias_of_letters_digits_dash_and_underscore_is_accepted(alias: str) -> None:
    entry = with_fields(field("name"))
    entry["tableAlias"] = alias

    assert parse_entry(entry).alias == alias


def test_identifier_that_is_not_a_field_is_refused() -> None:
    problem = only_problem(with_fields(field("name"), identifier="uuid"), "Identifier `uuid`")

    assert problem.entity == "things"
    assert problem.field == "identifier"
    assert problem.fix is not None
    assert "fieldName" in problem.fix


def test_identifier_of_a_disabled_field_is_refused() -> None:
    entry = with_fields(field("name"))
    entry["definition"]["fields"][0]["isEnabled"] = False

    problem = only_problem(entry, "Identifier `id`")

    assert problem.entity == "things"


def test_identifier_of_an_entity_whose_fields_are_all_disabled_is_refused() -> None:
    entry = with_fields()
    entry["definition"]["fields"][0]["isEnabled"] = False

    problem = only_problem(entry, "Identifier `id`")

    assert (problem.entity, problem.field) == ("things", "identifier")


def _name_with_newline(entry: dict[str, Any], where: str) -> None:
    if where == "tableAlias":
        entry["tableAlias"] = "things\n"
    elif where == "fieldVisibleName":
        entry["definition"]["fields"].append(field("name", visible="name\n"))
    elif where == "graphqlName":
        entry["definition"]["graphqlName"] = "Thing\n"
    else:
        entry["childRelations"] = [
            {
                "name": "parts\n",
                "childDynamicEntityConfiguration": {"tableAlias": "parts"},
                "relationFieldMappings": [{"childFieldName": "thing_id", "parentFieldName": "id"}],
            }
        ]


@pytest.mark.parametrize(
    ("where", "containing"),
    [
        ("tableAlias", "is invalid"),
        ("fieldVisibleName", "cannot be used as an API key"),
        ("graphqlName", "is not a valid GraphQL name"),
        ("relation", "cannot be used as an API key"),
    ],
)
def test_name_ending_in_a_newline_is_refused(where: str, containing: str) -> None:
    """``$`` also matches before a final newline: such a name passed and then broke the
    GraphQL schema (an alias only its REST path)."""
    entry = with_fields()
    _name_with_newline(entry, where)

    problem = only_problem(entry, containing)

    assert problem.fix is not None


def test_duplicate_visible_names_are_refused() -> None:
    entry = with_fields(field("name"), field("title", visible="name"))

    problem = only_problem(entry, "used twice")

    assert problem.message == "Visible name `name` is used twice."
    assert problem.entity == "things"
    assert problem.field == "name"
    assert problem.fix is not None


def test_invalid_regular_expression_is_refused() -> None:
    problem = only_problem(with_fields(field("code", pattern="([A-Z")), "regular expression")

    assert problem.entity == "things"
    assert problem.field == "code"
    assert problem.fix is not None


def test_unknown_transformation_is_refused_listing_known_ones() -> None:
    raw = {**field("code"), "transformations": ["trim", "reverse"]}

    problem = only_problem(with_fields(raw), "Unknown transformation")

    assert "'reverse'" in problem.message
    assert problem.entity == "things"
    assert problem.field == "code"
    assert problem.fix == "Use one of trim, lowercase, uppercase, default."


def test_default_transformation_without_value_is_refused() -> None:
    raw = {**field("code"), "transformations": [{"name": "default"}]}

    problem = only_problem(with_fields(raw), "needs a value")

    assert problem.field == "code"


@pytest.mark.parametrize("mappings", [None, [], ["child_id"]])
def test_relation_without_field_mappings_is_refused(mappings: Any) -> None:
    entry = with_fields(field("name"))
    relation: dict[str, Any] = {
        "name": "parts",
        "isEditable": False,
        "childDynamicEntityConfiguration": {"tableAlias": "parts"},
    }
    if mappings is not None:
        relation["relationFieldMappings"] = mappings
    entry["childRelations"] = [relation]

    problem = only_problem(entry, "relationFieldMappings")

    assert problem.entity == "things"
    assert problem.field == "childRelations[0]"
    assert problem.fix is not None
    assert "childFieldName" in problem.fix


def test_relation_without_target_alias_is_refused() -> None:
    entry = with_fields(field("name"))
    entry["parentRelations"] = [
        {
            "name": "owner",
            "relationFieldMappings": [{"childFieldName": "a", "parentFieldName": "b"}],
        }
    ]

    problem = only_problem(entry, "parentDynamicEntityConfiguration.tableAlias")

    assert problem.field == "parentRelations[0]"


def test_every_static_problem_is_reported_at_once() -> None:
    no_type = field("a")
    del no_type["type"]
    entry = {
        "tableName": "thing",
        "tableAlias": "bad alias",
        "definition": {
            "identifier": "uuid",
            "fields": [
                no_type,
                field("b", "money"),
                field("c", "integer", min=3, max=1),
                field("d", minLength=4, maxLength=1, pattern="("),
                field("e", "decimal", visible="d", precision=2, scale=3),
                {**field("f"), "transformations": ["reverse"]},
            ],
        },
        "childRelations": [
            {"name": "kids", "childDynamicEntityConfiguration": {"tableAlias": "kids"}}
        ],
    }

    problems = problems_of(entry)

    messages = "\n".join(str(p) for p in problems)
    for expected in (
        "Alias `bad alias` is invalid",
        "`type` is required",
        "Type 'money' is not supported",
        "`min` must be less than `max`",
        "`minLength` must be less than `maxLength`",
        "not a valid regular expression",
        "`scale` must be less than `precision`",
        "Visible name `d` is used twice",
        "Unknown transformation 'reverse'",
        "Identifier `uuid` is not one of the fields",
        "`relationFieldMappings` must list",
    ):
        assert expected in messages
    assert {p.entity for p in problems} == {"bad alias"}
    assert all(p.field is not None and p.fix is not None for p in problems), messages


def test_parse_entries_reports_problems_of_every_entry_together() -> None:
    first = with_fields(field("price", "money"))
    second = with_fields(field("name"), identifier="nope")
    second["tableAlias"] = "others"

    with pytest.raises(ConfigurationError) as raised:
        parse_entries([first, spryker_country(), second])

    assert [p.entity for p in raised.value.problems] == ["things", "others"]


@pytest.mark.parametrize("data", [{"tableName": "x"}, "[]", None])
def test_installer_file_that_is_not_a_list_is_refused(data: Any) -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_entries(data)

    assert raised.value.problems == (
        Problem("<file>", "The file must hold a JSON array of entries."),
    )


def test_configuration_error_message_lists_every_problem_with_its_fix() -> None:
    problems = problems_of(
        with_fields(field("price", "money"), field("n", minLength=3, maxLength=1))
    )

    text = str(ConfigurationError(problems))

    assert text.splitlines() == [str(p) for p in problems]
    assert "things.price: Type 'money' is not supported. Fix: Use one of" in text


def test_parsed_configuration_is_immutable() -> None:
    config = parse_entry(spryker_country())

    with pytest.raises(AttributeError):
        config.alias = "other"  # type: ignore[misc]
    assert isinstance(config, EntityConfiguration)


# --- alias suggestion ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "alias"),
    [
        ("spy_tax_rate", "tax-rates"),
        ("product", "products"),
        ("category", "categories"),
        ("product_stock", "product-stocks"),
        ("box", "boxes"),
        ("pyz_brand", "brands"),
        ("spy_sales_order_address", "sales-order-addresses"),
        ("day", "days"),
    ],
)
def test_suggest_alias_follows_sprykers_rule(table: str, alias: str) -> None:
    assert suggest_alias(table) == alias
