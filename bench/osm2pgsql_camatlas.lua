-- osm2pgsql flex style that writes the same four layers as a camatlas import, for
-- bench/store.py: cameras (every node, way or relation with man_made=surveillance, ways
-- and relations at their centroid), streets (ways with a highway key), buildings (closed
-- ways and multipolygon relations with a building key, as MultiPolygons) and areas
-- (boundary=administrative relations, as MultiPolygons). All in WGS 84 (EPSG:4326), tags
-- as jsonb; osm2pgsql adds a GiST index on each geometry, as camatlas does.
--
-- Run: osm2pgsql --create --output=flex --style=bench/osm2pgsql_camatlas.lua FILE.osm.pbf

local tables = {}

tables.cameras = osm2pgsql.define_table({
    name = 'cameras',
    ids = { type = 'any', id_column = 'osm_id', type_column = 'osm_type' },
    columns = {
        { column = 'tags', type = 'jsonb' },
        { column = 'geom', type = 'point', projection = 4326, not_null = true },
    },
})

tables.streets = osm2pgsql.define_way_table('streets', {
    { column = 'highway', type = 'text', not_null = true },
    { column = 'name', type = 'text' },
    { column = 'oneway', type = 'text' },
    { column = 'tags', type = 'jsonb' },
    { column = 'geom', type = 'linestring', projection = 4326, not_null = true },
})

tables.buildings = osm2pgsql.define_area_table('buildings', {
    { column = 'building', type = 'text', not_null = true },
    { column = 'height', type = 'text' },
    { column = 'levels', type = 'text' },
    { column = 'tags', type = 'jsonb' },
    { column = 'geom', type = 'multipolygon', projection = 4326, not_null = true },
})

tables.areas = osm2pgsql.define_relation_table('areas', {
    { column = 'name', type = 'text' },
    { column = 'admin_level', type = 'text' },
    { column = 'population', type = 'text' },
    { column = 'tags', type = 'jsonb' },
    { column = 'geom', type = 'multipolygon', projection = 4326, not_null = true },
})

local function building_row(tags, geom)
    return {
        building = tags.building,
        height = tags.height,
        levels = tags['building:levels'],
        tags = tags,
        geom = geom,
    }
end

function osm2pgsql.process_node(object)
    if object.tags.man_made == 'surveillance' then
        tables.cameras:insert({ tags = object.tags, geom = object:as_point() })
    end
end

function osm2pgsql.process_way(object)
    local tags = object.tags
    if tags.man_made == 'surveillance' then
        tables.cameras:insert({ tags = tags, geom = object:as_linestring():centroid() })
    end
    if tags.highway then
        tables.streets:insert({
            highway = tags.highway,
            name = tags.name,
            oneway = tags.oneway,
            tags = tags,
            geom = object:as_linestring(),
        })
    end
    if tags.building and object.is_closed then
        tables.buildings:insert(building_row(tags, object:as_polygon()))
    end
end

function osm2pgsql.process_relation(object)
    local tags = object.tags
    if tags.man_made == 'surveillance' then
        tables.cameras:insert({ tags = tags, geom = object:as_geometrycollection():centroid() })
    end
    if tags.building and tags.type == 'multipolygon' then
        tables.buildings:insert(building_row(tags, object:as_multipolygon()))
    end
    if tags.boundary == 'administrative' and (tags.type == 'boundary' or tags.type == 'multipolygon') then
        tables.areas:insert({
            name = tags.name,
            admin_level = tags.admin_level,
            population = tags.population,
            tags = tags,
            geom = object:as_multipolygon(),
        })
    end
end
