<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<!-- hotspot: outlined, labelled polygons over the other layers (layers hotspot_areas and
     patrol_areas). LINE_COLOR and FILL_COLOR are "r,g,b,a" (a light fill keeps the map below
     readable), LINE_WIDTH is in mm, LABEL is a QGIS expression (for example
     "group_name" || ' #' || "rank"). Placeholders: LINE_COLOR, FILL_COLOR, LINE_WIDTH, LABEL. -->
<qgis version="3.22.16" styleCategories="Symbology|Labeling" labelsEnabled="1">
  <renderer-v2 type="singleSymbol" symbollevels="0" forceraster="0" enableorderby="0" referencescale="-1">
    <symbols>
      <symbol type="fill" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <prop k="color" v="{{FILL_COLOR}}"/>
          <prop k="outline_color" v="{{LINE_COLOR}}"/>
          <prop k="outline_width" v="{{LINE_WIDTH}}"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="outline_style" v="solid"/>
          <prop k="joinstyle" v="miter"/>
          <prop k="style" v="solid"/>
        </layer>
      </symbol>
    </symbols>
    <rotation/>
    <sizescale/>
  </renderer-v2>
  <labeling type="simple">
    <settings calloutType="simple">
      <text-style fieldName="{{LABEL}}" isExpression="1" fontSize="9" fontSizeUnit="Point" fontWeight="75" textColor="{{LINE_COLOR}}" textOpacity="1" multilineHeight="1">
        <text-buffer bufferDraw="1" bufferSize="1" bufferSizeUnits="MM" bufferColor="255,255,255,255" bufferOpacity="1" bufferNoFill="1" bufferJoinStyle="128"/>
      </text-style>
      <text-format multilineAlign="1" wrapChar="" autoWrapLength="0"/>
      <placement placement="0" polygonPlacementFlags="2" fitInPolygonOnly="0" priority="8"/>
      <rendering drawLabels="1" obstacle="1" scaleVisibility="0" upsidedownLabels="0" labelPerPart="0"/>
    </settings>
  </labeling>
  <blendMode>0</blendMode>
  <featureBlendMode>0</featureBlendMode>
  <layerOpacity>1</layerOpacity>
  <layerGeometryType>2</layerGeometryType>
</qgis>
