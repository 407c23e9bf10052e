<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<!-- hotspot: incident points (layer incidents), small circles categorised on {{FIELD}}
     (group_name), one GROUPS item per category group (VALUE, LABEL, COLOR as "r,g,b,a",
     INDEX); the last, empty category catches incidents of no group. Placeholders: FIELD,
     GROUPS, OTHER_INDEX. -->
<qgis version="3.22.16" styleCategories="Symbology|Labeling" labelsEnabled="0">
  <renderer-v2 type="categorizedSymbol" attr="{{FIELD}}" symbollevels="0" forceraster="0" enableorderby="0" referencescale="-1">
    <categories>
{{#GROUPS}}      <category value="{{VALUE}}" label="{{LABEL}}" symbol="{{INDEX}}" render="true"/>
{{/GROUPS}}      <category value="" label="Other" symbol="{{OTHER_INDEX}}" render="true"/>
    </categories>
    <symbols>
{{#GROUPS}}      <symbol type="marker" name="{{INDEX}}" alpha="0.85" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <prop k="name" v="circle"/>
          <prop k="color" v="{{COLOR}}"/>
          <prop k="outline_color" v="255,255,255,255"/>
          <prop k="outline_width" v="0.1"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="size" v="1.6"/>
          <prop k="size_unit" v="MM"/>
        </layer>
      </symbol>
{{/GROUPS}}      <symbol type="marker" name="{{OTHER_INDEX}}" alpha="0.6" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <prop k="name" v="circle"/>
          <prop k="color" v="130,130,130,255"/>
          <prop k="outline_color" v="255,255,255,255"/>
          <prop k="outline_width" v="0.1"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="size" v="1.2"/>
          <prop k="size_unit" v="MM"/>
        </layer>
      </symbol>
    </symbols>
    <rotation/>
    <sizescale/>
  </renderer-v2>
  <blendMode>0</blendMode>
  <featureBlendMode>0</featureBlendMode>
  <layerOpacity>1</layerOpacity>
  <layerGeometryType>0</layerGeometryType>
</qgis>
